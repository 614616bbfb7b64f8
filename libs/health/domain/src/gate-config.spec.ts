import { DEFAULT_GATES, gateNameOf, parseDuration, PRESETS, resolveGate } from './gate-config';

const m = 60_000;

describe('gate configuration: the seeds\' defaults, presets and per-rollout overrides', () => {
  it('has the seeds\' three gates with their checks, thresholds and windows', () => {
    expect(DEFAULT_GATES.canary_gate.map((c) => [c.type, c.threshold, c.windowMs / m])).toEqual([
      ['error_rate', 2, 15], ['latency_p95', 20, 15], ['memory_trend', 1, 30], ['application_health', 100, 15], ['crash_count', 0, 30],
    ]);
    expect(DEFAULT_GATES.wave_gate.map((c) => [c.type, c.threshold, c.windowMs / m])).toEqual([
      ['error_rate', 5, 10], ['latency_p95', 30, 10], ['device_health', 95, 10], ['crash_count', 0, 10],
    ]);
    expect(DEFAULT_GATES.completion_gate.map((c) => [c.type, c.threshold])).toEqual([['error_rate', 2], ['fleet_coverage', 95], ['device_health', 98]]);
  });

  it('has the service presets Default 1%/500 ms, Strict 0.1%/200 ms, Relaxed 5%/1000 ms', () => {
    expect(PRESETS).toEqual({
      default: { name: 'default', maxErrorRate: 0.01, maxLatencyMs: 500 },
      strict: { name: 'strict', maxErrorRate: 0.001, maxLatencyMs: 200 },
      relaxed: { name: 'relaxed', maxErrorRate: 0.05, maxLatencyMs: 1000 },
    });
    expect(resolveGate('wave_gate', { healthPreset: 'strict' }).preset).toBe(PRESETS.strict);
  });

  it('applies overrides: thresholds, windows, removal, added checks, sample minimum, comparison and canary phases', () => {
    const spec = resolveGate('canary_gate', {
      healthGates: {
        canary_gate: { error_rate: 3, latency_p95_window: '5m', memory_trend: false, device_health: 90, min_samples: 5, comparison: 'advisory', soak_ms: 120_000, crash_count_window_ms: 60_000, bogus: 1 },
      },
    });
    expect(spec.checks.map((c) => [c.type, c.threshold, c.windowMs])).toEqual([
      ['error_rate', 3, 15 * m], ['latency_p95', 20, 5 * m], ['application_health', 100, 15 * m], ['crash_count', 0, m], ['device_health', 90, 30 * m],
    ]);
    expect(spec).toMatchObject({ minSamples: 5, comparison: 'advisory', ignoredOverrides: ['bogus'] });
    expect(spec.canary?.soakEndMs).toBe(120_000);
  });

  it('refuses overrides it cannot apply rather than guessing', () => {
    const spec = resolveGate('wave_gate', { healthGates: { wave_gate: { error_rate: -1, error_rate_window: 'soon', soak_ms: 5, min_samples: 0 } } });
    expect(spec.ignoredOverrides).toEqual(['error_rate', 'error_rate_window', 'min_samples', 'soak_ms']);
    expect(spec.checks[0].threshold).toBe(5);
  });

  it('knows gate names in either spelling and parses durations', () => {
    expect(gateNameOf('canary-gate')).toBe('canary_gate');
    expect(gateNameOf('Wave_Gate')).toBe('wave_gate');
    expect(gateNameOf('smoke')).toBeUndefined();
    expect([parseDuration('90s'), parseDuration('15m'), parseDuration('1h'), parseDuration('250'), parseDuration('x')]).toEqual([90_000, 15 * m, 60 * m, 250, undefined]);
  });
});
