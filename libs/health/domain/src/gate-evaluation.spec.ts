import fc from 'fast-check';
import { TelemetryStore } from './device-telemetry';
import { evaluateGate, type GateOutcome, type GateRequest } from './gate-evaluation';
import { recheckGateEvidence } from './audit-recheck';
import type { GateDevice } from './gate-device';
import { feed, healthy, MIN, NEW, scenario, withErrors } from '../test/health.fixtures';

function requestFor(minutes: number, gate: string, after?: Parameters<typeof scenario>[0]['after'], execution: GateRequest['execution'] = {}): GateRequest {
  const s = scenario({ minutes, after });
  return {
    gate,
    at: s.startAt + minutes * MIN,
    groupId: 'g0',
    deployed: s.devices.filter((d) => d.deployedAt !== undefined),
    control: s.devices.filter((d) => d.deployedAt === undefined),
    totalDevices: s.devices.length,
    targetVersion: NEW,
    baselines: s.baselines,
    execution,
  };
}

describe('gate verdicts with their evidence', () => {
  it('passes the canary gate for a good build after the soak: checks, comparison and phases all pass', () => {
    const outcome = evaluateGate(requestFor(61, 'canary-gate'));
    expect(outcome).toMatchObject({ verdict: 'PASS', reason: 'all_checks_pass' });
    expect(outcome.evidence.checks.map((c) => [c.check, c.verdict])).toEqual([
      ['error_rate', 'PASS'], ['latency_p95', 'PASS'], ['memory_trend', 'PASS'], ['application_health', 'PASS'], ['crash_count', 'PASS'],
    ]);
    expect(outcome.evidence.comparison?.verdict).toBe('PASS');
    expect(outcome.evidence.canary?.verdict).toBe('PASS');
    expect(outcome.evidence).toMatchObject({ deployedDevices: 6, totalDevices: 12, targetVersion: NEW });
  });

  it('fails the canary gate for a build that raises errors on one device type, and says why', () => {
    const outcome = evaluateGate(requestFor(16, 'canary_gate', (type, id) => (type === 'cam' ? withErrors(healthy(NEW, id, type), 0.05) : healthy(NEW, id, type))));
    expect(outcome.verdict).toBe('FAIL');
    expect(outcome.reason).toContain('error_rate:error_rate_above_threshold');
    expect(outcome.reason).toContain('comparison:fail');
    expect(outcome.evidence.canary?.reason).toBe('canary_immediate_failed');
  });

  it('extends (CAUTION) a good canary whose soak is not over yet', () => {
    expect(evaluateGate(requestFor(31, 'canary_gate')).verdict).toBe('CAUTION');
  });

  it('evaluates the wave gate over every deployed device, reporting the comparison without letting it decide', () => {
    const outcome = evaluateGate(requestFor(11, 'wave_gate'));
    expect(outcome.verdict).toBe('PASS');
    expect(outcome.evidence.spec?.comparison).toBe('advisory');
    expect(outcome.evidence.checks.map((c) => c.check)).toEqual(['error_rate', 'latency_p95', 'device_health', 'crash_count']);
  });

  it('holds the completion gate below 95% coverage while devices are pending, and fails it once 95% is out of reach', () => {
    const waiting = evaluateGate(requestFor(31, 'completion_gate'));
    expect(waiting.verdict).toBe('INCONCLUSIVE');
    expect(waiting.reason).toBe('fleet_coverage:devices_still_pending');
    const request = requestFor(31, 'completion_gate');
    const failedInstalls = request.control.map((d) => ({ ...d, failed: true }));
    const unreachable = evaluateGate({ ...request, deployed: [...request.deployed, ...failedInstalls], control: [] });
    expect(unreachable.verdict).toBe('FAIL');
    expect(unreachable.reason).toBe('fleet_coverage:coverage_below_threshold');
  });

  it('never passes a gate it does not know', () => {
    expect(evaluateGate(requestFor(11, 'smoke-gate'))).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'unknown_gate' });
  });

  it('applies per-rollout overrides and the preset', () => {
    const loose = evaluateGate(requestFor(11, 'wave_gate', (type, id) => withErrors(healthy(NEW, id, type), 0.05), { healthGates: { wave_gate: { error_rate: 10 } } }));
    expect(loose.verdict).toBe('PASS');
    // A preset is what a fleet without baselines is held to: Strict's 0.1% fails 1% errors, Relaxed's 5% passes them.
    const strict = evaluateGate({ ...requestFor(11, 'wave_gate', undefined, { healthPreset: 'strict' }), baselines: [] });
    expect(strict.verdict).toBe('FAIL');
    expect(evaluateGate({ ...requestFor(11, 'wave_gate', undefined, { healthPreset: 'relaxed' }), baselines: [] }).verdict).toBe('PASS');
    // With baselines, the seeds' baseline-relative thresholds decide, whatever the preset.
    expect(evaluateGate(requestFor(11, 'wave_gate', undefined, { healthPreset: 'strict' })).verdict).toBe('PASS');
  });
});

describe('audit: every verdict follows from its recorded evidence', () => {
  const fromLog = (outcome: GateOutcome) => JSON.parse(JSON.stringify(outcome.evidence)) as GateOutcome['evidence'];
  const bad = (type: string, id: string) => (type === 'cam' ? withErrors(healthy(NEW, id, type), 0.05) : healthy(NEW, id, type));

  it.each([
    ['canary PASS', () => evaluateGate(requestFor(61, 'canary_gate'))],
    ['canary FAIL', () => evaluateGate(requestFor(16, 'canary_gate', bad))],
    ['canary CAUTION', () => evaluateGate(requestFor(31, 'canary_gate'))],
    ['wave PASS', () => evaluateGate(requestFor(11, 'wave_gate'))],
    ['wave without baseline', () => evaluateGate({ ...requestFor(11, 'wave_gate'), baselines: [] })],
    ['completion INCONCLUSIVE', () => evaluateGate(requestFor(31, 'completion_gate'))],
    ['completion FAIL', () => {
      const request = requestFor(31, 'completion_gate');
      return evaluateGate({ ...request, deployed: [...request.deployed, ...request.control.map((d) => ({ ...d, failed: true }))], control: [] });
    }],
  ])('%s', (_name, run) => {
    const outcome = run();
    expect(recheckGateEvidence(fromLog(outcome))).toBe(outcome.verdict);
  });

  it('catches evidence whose figures do not support its verdict', () => {
    const outcome = evaluateGate(requestFor(11, 'wave_gate'));
    const tampered = fromLog(outcome);
    const part = tampered.checks[0].byDeviceType![0];
    part.value = (part.threshold as number) + 0.01;
    expect(outcome.verdict).toBe('PASS');
    expect(recheckGateEvidence(tampered)).toBe('FAIL');
  });
});

describe('gate properties', () => {
  const base = requestFor(0, 'wave_gate');
  const at = base.at + 15 * MIN;

  /** The six canary devices reporting the given per-device error rates for 15 minutes, `perMinute` samples a minute. */
  function deployedWith(errorRates: number[], perMinute: number): GateDevice[] {
    const store = new TelemetryStore();
    return base.deployed.map((d, i) => {
      feed(store, d.controllerId, base.at, at, MIN / perMinute, (t, k) => ({ ...healthy(NEW, d.controllerId, d.deviceType)(t, k), errorRate: errorRates[i % errorRates.length] }));
      return { ...d, telemetry: store.device(d.controllerId) };
    });
  }

  it('more errors never turn FAIL into PASS', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 0.5, noNaN: true }), { minLength: 6, maxLength: 6 }), fc.double({ min: 0, max: 0.5, noNaN: true }), (rates, extra) => {
        const before = evaluateGate({ ...base, at, deployed: deployedWith(rates, 2) });
        const after = evaluateGate({ ...base, at, deployed: deployedWith(rates.map((r) => Math.min(1, r + extra)), 2) });
        expect(recheckGateEvidence(JSON.parse(JSON.stringify(after.evidence)))).toBe(after.verdict);
        if (before.verdict === 'FAIL') expect(after.verdict).toBe('FAIL');
        if (after.verdict === 'PASS') expect(before.verdict).toBe('PASS');
      }),
      { numRuns: 40 },
    );
  });

  it('too few samples never PASS', () => {
    fc.assert(
      fc.property(fc.constantFrom('canary_gate', 'wave_gate', 'completion_gate'), fc.double({ min: 0, max: 0.02, noNaN: true }), fc.integer({ min: 1, max: 19 }), (gate, rate, minSamples) => {
        // each device type has 3 devices × 15 samples = 45 samples, below a minimum raised to 46+
        const outcome = evaluateGate({ ...base, gate, at, deployed: deployedWith([rate], 1), totalDevices: 6, execution: { healthGates: { [gate]: { min_samples: 46 + minSamples } } } });
        expect(outcome.verdict).not.toBe('PASS');
      }),
      { numRuns: 30 },
    );
  });
});
