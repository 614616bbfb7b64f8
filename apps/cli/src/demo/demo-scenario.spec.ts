import { DEMO_FLEET_PROFILES, fleetIntervalSeconds, rolloutBody } from './demo-scenario';

describe('the demo fleet paces itself to one machine', () => {
  it('polls every 2 s up to 1,200 devices, then less often, keeping the fleet near 600 polls per second', () => {
    expect([50, 300, 1_200].map(fleetIntervalSeconds)).toEqual([2, 2, 2]);
    expect(fleetIntervalSeconds(5_000)).toBe(9);
    for (const devices of [1_201, 5_000, 20_000, 100_000]) expect(devices / fleetIntervalSeconds(devices)).toBeLessThanOrEqual(600);
  });
});

describe('the demo rollout body', () => {
  const canaryOf = (body: Record<string, unknown>) => (body.healthGates as { canary_gate: Record<string, unknown> }).canary_gate;

  it('keeps 10 s canary phases and 30 s windows at the 2 s interval, and stretches them for slower-reporting fleets', () => {
    expect(canaryOf(rolloutBody('r', 'ds', 'q'))).toMatchObject({ immediate_ms: 10_000, short_term_ms: 20_000, soak_ms: 30_000, error_rate_window: '30s' });
    expect(canaryOf(rolloutBody('r', 'ds', 'q', 9))).toMatchObject({ immediate_ms: 22_500, short_term_ms: 45_000, soak_ms: 67_500, error_rate_window: '36s', memory_trend_window: '67.5s' });
  });

  it('asks for two samples per device and phase, and every phase holds at least two reports of every device', () => {
    for (const devices of [50, 1_200, 5_000, 20_000]) {
      const interval = fleetIntervalSeconds(devices);
      const canary = canaryOf(rolloutBody('r', 'ds', 'q', interval)) as { immediate_ms: number; phase_min_samples: number };
      expect(canary.phase_min_samples).toBe(2);
      // a device reporting every `interval` seconds lands at least floor(phase / interval) samples in any phase
      expect(Math.floor(canary.immediate_ms / (interval * 1000))).toBeGreaterThanOrEqual(canary.phase_min_samples);
    }
  });
});

describe('the demo fleet profiles', () => {
  it('keep an offline spell within one canary phase at every fleet size', () => {
    for (const devices of [50, 5_000, 20_000]) {
      const canary = (rolloutBody('r', 'ds', 'q', fleetIntervalSeconds(devices)).healthGates as { canary_gate: { immediate_ms: number } }).canary_gate;
      expect(DEMO_FLEET_PROFILES.base.offlinePeriodMs.max).toBeLessThanOrEqual(canary.immediate_ms);
    }
  });
});
