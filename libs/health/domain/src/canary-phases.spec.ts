import { combineBaselines } from './baseline';
import { evaluateCanary, MIN_CPU_BASELINE_SAMPLES } from './canary-phases';
import { DEFAULT_CANARY_PHASES, PRESETS } from './gate-config';
import { feed, healthy, MIN, NEW, OLD, scenario, withErrors, type SampleShape } from '../test/health.fixtures';

const limits = { errorRatePoints: 2, latencyPercent: 20, memoryGrowthPercent: 1 };

function canaryAfter(minutes: number, after?: (type: string, id: string) => (at: number, i: number) => SampleShape) {
  const s = scenario({ minutes, after });
  const at = s.startAt + minutes * MIN;
  return evaluateCanary(s.devices.filter((d) => d.groupId === 'g0'), at, DEFAULT_CANARY_PHASES, limits, s.baselines, NEW);
}

describe('canary phases: immediate (0-5 min), short-term (5-30), soak (30-60)', () => {
  it('passes a good build once all three phases are over', () => {
    const result = canaryAfter(61);
    expect(result).toMatchObject({ verdict: 'PASS', reason: 'canary_phases_passed' });
    expect(result.phases.map((p) => [p.phase, p.status, p.offsetsMs])).toEqual([
      ['immediate', 'PASS', [0, 5 * MIN]], ['short_term', 'PASS', [5 * MIN, 30 * MIN]], ['soak', 'PASS', [30 * MIN, 60 * MIN]],
    ]);
  });

  it('is CAUTION (ask again) while a phase is still running', () => {
    const result = canaryAfter(20);
    expect(result).toMatchObject({ verdict: 'CAUTION', reason: 'canary_phase_in_progress' });
    expect(result.phases.map((p) => p.status)).toEqual(['PASS', 'IN_PROGRESS', 'IN_PROGRESS']);
  });

  it('fails at once on a crash in the immediate phase', () => {
    const result = canaryAfter(3, (type, id) => (at, i) => ({ ...healthy(NEW, id, type)(at, i), restarts: i === 1 && id === 'cam-0' ? 1 : 0 }));
    expect(result).toMatchObject({ verdict: 'FAIL', reason: 'canary_immediate_failed' });
    expect(result.phases[0].checks.find((c) => c.name === 'no_crash')).toMatchObject({ verdict: 'FAIL', value: 1 });
  });

  it('fails the immediate phase when a device still reports the old version', () => {
    const result = canaryAfter(6, (type, id) => (id === 'gw-0' ? healthy(OLD, id, type) : healthy(NEW, id, type)));
    expect(result.phases[0].checks.find((c) => c.name === 'version_matches')!.verdict).toBe('FAIL');
    expect(result.verdict).toBe('FAIL');
  });

  it('lets a device report the old version until its reboot: the immediate phase judges what it runs at its end', () => {
    // gw-0's first two samples after FINISHED still carry OLD (it reboots a minute later), then NEW.
    const rebooting = canaryAfter(6, (type, id) => (at, i) => healthy(id === 'gw-0' && i < 2 ? OLD : NEW, id, type)(at, i));
    expect(rebooting.phases[0].checks.find((c) => c.name === 'version_matches')).toMatchObject({ verdict: 'PASS', value: 0 });
    // While the phase runs, a device not rebooted yet is not a failure either.
    const early = canaryAfter(1, (type, id) => healthy(id === 'gw-0' ? OLD : NEW, id, type));
    expect(early.phases[0]).toMatchObject({ status: 'IN_PROGRESS' });
    // But one that ran NEW and fell back fails at once, before the phase ends.
    const fellBack = canaryAfter(3, (type, id) => (at, i) => healthy(id === 'gw-0' && i >= 2 ? OLD : NEW, id, type)(at, i));
    expect(fellBack.phases[0].checks.find((c) => c.name === 'version_matches')).toMatchObject({ verdict: 'FAIL', value: 1 });
  });

  describe('CPU in bounds, per device type', () => {
    // Cameras run at 45 % CPU, gateways at 10 %, on the old build and the new alike (a good build).
    const cpuOf = (type: string, shift = 0) => (type === 'cam' ? 45 : 10) + shift;
    const at = (version: string, type: string, id: string, shift = 0) => (t: number, i: number) => ({ ...healthy(version, id, type)(t, i), cpuPct: cpuOf(type, shift) + ((i % 5) - 2) * 0.5 });
    const cpuAfter31 = (options: { gatewayShift?: number; cameraShift?: number }) => {
      const s = scenario({
        minutes: 31,
        // Two of the canary's three gateways go silent after the install (offline, or their install failed):
        // the canary's samples are mostly the cameras', its baseline weighs both types alike.
        silent: ['gw-0', 'gw-1'],
        before: (type, id) => at(OLD, type, id),
        after: (type, id) => at(NEW, type, id, type === 'gw' ? (options.gatewayShift ?? 0) : (options.cameraShift ?? 0)),
      });
      const result = evaluateCanary(s.devices.filter((d) => d.groupId === 'g0'), s.startAt + 31 * MIN, DEFAULT_CANARY_PHASES, limits, s.baselines, NEW);
      const pooledP99 = combineBaselines(s.baselines.filter((b) => b.cohort.groupId === 'g0'), 'cpuPct')!.p99;
      return { check: result.phases[1].checks.find((c) => c.name === 'cpu_within_bounds')!, pooledP99 };
    };

    it('passes a good build whose device types keep their own CPU, whatever their mix in the baseline', () => {
      const { check, pooledP99 } = cpuAfter31({});
      expect(check).toMatchObject({ verdict: 'PASS', rule: expect.stringContaining('each device type') });
      expect(check.value! / check.threshold!).toBeLessThan(1);
      // One pooled mean of the canary (three cameras, one gateway: 36.25 %) against that pooled p99 failed it.
      expect(pooledP99).toBeLessThan(36.25);
    });

    it('fails when one device type runs above its own p99, even if the pooled mean looks fine', () => {
      // The speaking gateway at 20 % (the gateways' bound is ~12 %), cameras down to 35 %: pooled, 31.25 % would pass.
      const { check } = cpuAfter31({ gatewayShift: 10, cameraShift: -10 });
      expect(check).toMatchObject({ verdict: 'FAIL', value: 20, rule: expect.stringContaining('nearest: gw') });
      expect(check.threshold).toBeLessThan(13);
    });

    it('holds no device type to a bound drawn from fewer than 10 baseline samples (the p99 of two is their maximum)', () => {
      const s = scenario({ minutes: 31, before: (type, id) => at(OLD, type, id), after: (type, id) => at(NEW, type, id, 5) });
      const few = s.baselines.map((b) => ({ ...b, metrics: { ...b.metrics, cpuPct: { ...b.metrics.cpuPct!, samples: MIN_CPU_BASELINE_SAMPLES - 1 } } }));
      const result = evaluateCanary(s.devices.filter((d) => d.groupId === 'g0'), s.startAt + 31 * MIN, DEFAULT_CANARY_PHASES, limits, few, NEW);
      expect(result.phases[1].checks.map((c) => c.name)).not.toContain('cpu_within_bounds');
      // With enough samples the same 5-point rise is judged (and fails: it is far above mean + 3 sd).
      const judged = evaluateCanary(s.devices.filter((d) => d.groupId === 'g0'), s.startAt + 31 * MIN, DEFAULT_CANARY_PHASES, limits, s.baselines, NEW);
      expect(judged.phases[1].checks.find((c) => c.name === 'cpu_within_bounds')).toMatchObject({ verdict: 'FAIL' });
    });
  });

  it('fails the immediate phase when the health endpoint does not answer', () => {
    const result = canaryAfter(6, (type, id) => (at, i) => ({ ...healthy(NEW, id, type)(at, i), healthEndpoint: id === 'cam-1' ? 'down' : 'up' }));
    expect(result.phases[0].checks.find((c) => c.name === 'health_endpoint_up')!.verdict).toBe('FAIL');
  });

  it('fails the short-term phase when errors rise past baseline + 2 points after the first 5 minutes', () => {
    // samples every 30 s: the first 10 (0-5 min) are the immediate phase, the rest raise errors to 6%
    const shortTerm = canaryAfter(31, (type, id) => (at, i) => (i < 10 ? healthy(NEW, id, type)(at, i) : withErrors(healthy(NEW, id, type), 0.06)(at, i)));
    // The soak (30-60 min) has seen the same errors, but a statistic counts only once its phase is over.
    expect(shortTerm.phases.map((p) => p.status)).toEqual(['PASS', 'FAIL', 'IN_PROGRESS']);
    expect(shortTerm).toMatchObject({ verdict: 'FAIL', reason: 'canary_short_term_failed' });
  });

  it('does not fail a phase on a statistic of its first samples: the limit is judged once the phase is over', () => {
    // Errors at 6 % from minute 5: after the phase's first two samples the mean is past the limit already.
    const raised = (type: string, id: string) => (at: number, i: number) => (i < 10 ? healthy(NEW, id, type)(at, i) : withErrors(healthy(NEW, id, type), 0.06)(at, i));
    const early = canaryAfter(6, raised);
    expect(early.phases[1].checks.find((c) => c.name === 'error_rate')).toMatchObject({ verdict: 'FAIL' });
    expect(early.phases[1].status).toBe('IN_PROGRESS');
    expect(early.verdict).toBe('CAUTION');
    // A crash is a fact: it fails its phase at once (see above); the statistic fails the phase once it is over.
    expect(canaryAfter(31, raised).phases[1].status).toBe('FAIL');
  });

  it('is CAUTION (extend the soak) when only the soak degrades: memory creeping up after 30 minutes', () => {
    const result = canaryAfter(61, (type, id) => (at, i) => ({ ...healthy(NEW, id, type)(at, i), memoryMb: i < 60 ? 500 : 500 + (i - 60) * 1.5 }));
    expect(result.phases.map((p) => p.status)).toEqual(['PASS', 'PASS', 'FAIL']);
    expect(result).toMatchObject({ verdict: 'CAUTION', reason: 'canary_soak_degrading' });
  });

  it('is CAUTION when temperatures escalate during the soak', () => {
    const result = canaryAfter(61, (type, id) => (at, i) => ({ ...healthy(NEW, id, type)(at, i), temperatureC: i < 60 ? 50 : 50 + (i - 60) * 0.5 }));
    expect(result.phases[2].checks.find((c) => c.name === 'no_thermal_escalation')!.verdict).toBe('FAIL');
    expect(result.verdict).toBe('CAUTION');
  });

  it('does not mistake devices of different steady temperatures for an escalation (each device is its own reference)', () => {
    // Cameras run steady at 70 °C, gateways at 40 °C, and the cameras were updated ten minutes later: pooled on
    // one time axis, the cameras' soak buckets come last and the canary would look like it is heating up.
    const s = scenario({ minutes: 75, after: (type, id) => (at, i) => ({ ...healthy(NEW, id, type)(at, i), temperatureC: type === 'cam' ? 70 + (i % 2) : 40 + (i % 2) }) });
    const canary = s.devices.filter((d) => d.groupId === 'g0').map((d) => (d.deviceType === 'cam' ? { ...d, deployedAt: s.startAt + 10 * MIN } : d));
    const result = evaluateCanary(canary, s.startAt + 75 * MIN, DEFAULT_CANARY_PHASES, limits, s.baselines, NEW);
    expect(result.phases[2].checks.find((c) => c.name === 'no_thermal_escalation')).toMatchObject({ verdict: 'PASS', value: 71 });
    expect(result.verdict).toBe('PASS');
  });

  it('is INCONCLUSIVE when a canary device reported fewer than 3 samples in a finished phase', () => {
    const s = scenario({ minutes: 61, everyMs: 5 * MIN });
    const result = evaluateCanary(s.devices.filter((d) => d.groupId === 'g0'), s.startAt + 61 * MIN, DEFAULT_CANARY_PHASES, limits, s.baselines, NEW);
    expect(result.verdict).toBe('INCONCLUSIVE');
  });

  it('judges the canary without a device that went offline after its install (one of six), counting it silent', () => {
    const s = scenario({ minutes: 61, silent: ['cam-2'] });
    const result = evaluateCanary(s.devices.filter((d) => d.groupId === 'g0'), s.startAt + 61 * MIN, DEFAULT_CANARY_PHASES, limits, s.baselines, NEW);
    expect(result).toMatchObject({ verdict: 'PASS', reason: 'canary_phases_passed' });
    expect(result.phases.map((p) => [p.status, p.devices, p.silentDevices])).toEqual([['PASS', 6, 1], ['PASS', 6, 1], ['PASS', 6, 1]]);
  });

  it('judges a device that was away during its soak on what it reports once back (it lives through the phase late)', () => {
    // gw-1 and cam-2 report through the short-term phase, are offline for the whole soak (30-60 min) and come back at 62.
    const s = scenario({ minutes: 70, silent: ['gw-1', 'cam-2'] });
    for (const [id, type] of [['gw-1', 'gw'], ['cam-2', 'cam']]) {
      feed(s.store, id, s.startAt, s.startAt + 30 * MIN, 30_000, healthy(NEW, id, type));
      feed(s.store, id, s.startAt + 62 * MIN, s.startAt + 70 * MIN, 30_000, healthy(NEW, id, type));
    }
    const canary = s.devices.filter((d) => d.groupId === 'g0');
    const result = evaluateCanary(canary, s.startAt + 70 * MIN, DEFAULT_CANARY_PHASES, limits, s.baselines, NEW);
    expect(result.phases.map((p) => [p.phase, p.status, p.silentDevices])).toEqual([['immediate', 'PASS', 0], ['short_term', 'PASS', 0], ['soak', 'PASS', 0]]);
    expect(result.verdict).toBe('PASS');
    // Before they are back, the two (a third of the canary) hold the soak INCONCLUSIVE.
    expect(evaluateCanary(canary, s.startAt + 61 * MIN, DEFAULT_CANARY_PHASES, limits, s.baselines, NEW).phases[2]).toMatchObject({ status: 'INCONCLUSIVE', silentDevices: 2 });
  });

  describe('devices that report rarely: two samples in a phase hold no memory trend', () => {
    // Every 12 minutes: the short-term phase (5-30 min) holds the samples of minutes 12 and 24 only.
    const sparse = { ...DEFAULT_CANARY_PHASES, minSamplesPerDevice: 1 };

    it('judges memory on the phase\'s start until now once the phase is over, instead of staying INCONCLUSIVE for good', () => {
      const s = scenario({ minutes: 100, everyMs: 12 * MIN });
      const result = evaluateCanary(s.devices.filter((d) => d.groupId === 'g0'), s.startAt + 61 * MIN, sparse, limits, s.baselines, NEW);
      const memory = result.phases[1].checks.find((c) => c.name === 'memory_stable');
      expect(memory).toMatchObject({ verdict: 'PASS' });
      expect(memory?.value).toEqual(expect.any(Number));
      expect(result.verdict).toBe('PASS');
    });

    it('still catches a leak on the longer look', () => {
      const leaking = (type: string, id: string) => {
        const base = healthy(NEW, `${id}-new`, type);
        return (at: number, i: number) => ({ ...base(at, i), memoryMb: 500 + 60 * i });
      };
      const s = scenario({ minutes: 100, everyMs: 12 * MIN, after: leaking });
      const result = evaluateCanary(s.devices.filter((d) => d.groupId === 'g0'), s.startAt + 61 * MIN, sparse, limits, s.baselines, NEW);
      expect(result.phases[1].checks.find((c) => c.name === 'memory_stable')).toMatchObject({ verdict: 'FAIL' });
      expect(result).toMatchObject({ verdict: 'FAIL', reason: 'canary_short_term_failed' });
    });

    it('does not look past a phase that is still running', () => {
      const s = scenario({ minutes: 100, everyMs: 12 * MIN });
      const result = evaluateCanary(s.devices.filter((d) => d.groupId === 'g0'), s.startAt + 29 * MIN, sparse, limits, s.baselines, NEW);
      expect(result.phases[1]).toMatchObject({ status: 'IN_PROGRESS' });
      expect(result.phases[1].checks.find((c) => c.name === 'memory_stable')).toMatchObject({ verdict: 'INCONCLUSIVE' });
    });
  });

  it('is INCONCLUSIVE when more than a fifth of the canary is silent (two of six)', () => {
    const s = scenario({ minutes: 61, silent: ['cam-2', 'gw-0'] });
    const result = evaluateCanary(s.devices.filter((d) => d.groupId === 'g0'), s.startAt + 61 * MIN, DEFAULT_CANARY_PHASES, limits, s.baselines, NEW);
    expect(result).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'canary_too_few_samples' });
    expect(result.phases.every((p) => p.silentDevices === 2)).toBe(true);
  });

  it('uses the preset\'s absolute error limit for a canary without baseline', () => {
    const s = scenario({ minutes: 61 });
    const result = evaluateCanary(s.devices.filter((d) => d.groupId === 'g0'), s.startAt + 61 * MIN, DEFAULT_CANARY_PHASES, limits, [], NEW, PRESETS.strict);
    expect(result.phases[0].checks.find((c) => c.name === 'no_errors')).toMatchObject({ verdict: 'FAIL', threshold: 0.001 });
  });

  it('is INCONCLUSIVE without deployed canary devices', () => {
    const s = scenario({ minutes: 5 });
    expect(evaluateCanary(s.devices.filter((d) => d.groupId === 'g1'), s.startAt, DEFAULT_CANARY_PHASES, limits, s.baselines, NEW).reason).toBe('no_deployed_canary_devices');
  });
});
