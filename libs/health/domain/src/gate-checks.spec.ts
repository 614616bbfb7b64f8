import { evaluateCheck, type CheckContext } from './gate-checks';
import { resolveGate, type CheckSpec, type CheckType } from './gate-config';
import { healthy, MIN, NEW, OLD, scenario, withErrors, type Scenario } from '../test/health.fixtures';

const minutes = 20;
const check = (type: CheckType, threshold: number, windowMs = 15 * MIN): CheckSpec => ({ type, threshold, windowMs });
const ctxOf = (s: Scenario, overrides: Partial<CheckContext> = {}): CheckContext => ({
  at: s.startAt + minutes * MIN,
  spec: resolveGate('wave_gate'),
  deployed: s.devices.filter((d) => d.deployedAt !== undefined),
  totalDevices: s.devices.length,
  targetVersion: NEW,
  baselines: s.baselines,
  ...overrides,
});

describe('gate checks over all deployed devices', () => {
  const good = scenario({ minutes });
  const badCams = scenario({ minutes, after: (type, id) => (type === 'cam' ? withErrors(healthy(NEW, id, type), 0.05) : healthy(NEW, id, type)) });

  describe('error_rate (<= baseline + X points, per device type)', () => {
    it('passes a good build, with the baseline and threshold in the evidence', () => {
      const result = evaluateCheck(check('error_rate', 2), ctxOf(good));
      expect(result.verdict).toBe('PASS');
      const cam = result.byDeviceType!.find((p) => p.deviceType === 'cam')!;
      expect(cam.samples).toBe(90);
      expect(cam.threshold).toBeCloseTo((cam.baseline!.mean as number) + 0.02, 6);
      expect(cam.value!).toBeLessThanOrEqual(cam.threshold!);
    });

    it('fails when one device type has raised errors, even though the other is fine', () => {
      const result = evaluateCheck(check('error_rate', 2), ctxOf(badCams));
      expect(result.verdict).toBe('FAIL');
      expect(result.byDeviceType!.map((p) => [p.deviceType, p.verdict])).toEqual([['cam', 'FAIL'], ['gw', 'PASS']]);
      expect(result.reason).toBe('error_rate_above_threshold');
    });

    it('is INCONCLUSIVE with too few samples, never PASS', () => {
      const result = evaluateCheck(check('error_rate', 2), ctxOf(good, { spec: { ...resolveGate('wave_gate'), minSamples: 1000 } }));
      expect(result.verdict).toBe('INCONCLUSIVE');
      expect(result.reason).toBe('too_few_samples');
    });

    it('is INCONCLUSIVE without a baseline', () => {
      expect(evaluateCheck(check('error_rate', 2), ctxOf(good, { baselines: [] })).byDeviceType![0].reason).toBe('no_baseline');
    });

    it('holds a fleet without baseline to the preset\'s absolute limit, and a fleet with one to its baseline', () => {
      const withBaseline = evaluateCheck(check('error_rate', 2), ctxOf(good, { spec: resolveGate('wave_gate', { healthPreset: 'strict' }) }));
      expect(withBaseline.verdict).toBe('PASS');
      expect(withBaseline.byDeviceType![0].thresholdRule).toBe('value <= baseline.mean + 2 points');
      const strict = resolveGate('wave_gate', { healthPreset: 'strict' });
      const result = evaluateCheck(check('error_rate', 2), ctxOf(good, { spec: strict, baselines: [] }));
      expect(result.verdict).toBe('FAIL');
      expect(result.byDeviceType![0].threshold).toBe(0.001);
      const relaxed = evaluateCheck(check('error_rate', 2), ctxOf(good, { spec: resolveGate('wave_gate', { healthPreset: 'relaxed' }), baselines: [] }));
      expect(relaxed.verdict).toBe('PASS');
    });
  });

  describe('latency_p95 (<= baseline p95 × (1 + X%))', () => {
    it('passes normal latency and fails a 50% slower build', () => {
      expect(evaluateCheck(check('latency_p95', 20), ctxOf(good)).verdict).toBe('PASS');
      const slow = scenario({ minutes, after: (type, id) => (at, i) => ({ ...healthy(NEW, id, type)(at, i), latencyP95Ms: 150 }) });
      const result = evaluateCheck(check('latency_p95', 20), ctxOf(slow));
      expect(result.verdict).toBe('FAIL');
      expect(result.byDeviceType![0]).toMatchObject({ value: 150, verdict: 'FAIL' });
    });
  });

  describe('memory_trend (growth < X% per 10 minutes)', () => {
    it('passes stable memory and fails a leak of 2% per 10 minutes', () => {
      expect(evaluateCheck(check('memory_trend', 1, 30 * MIN), ctxOf(good)).verdict).toBe('PASS');
      const leak = scenario({ minutes, after: (type, id) => (at, i) => ({ ...healthy(NEW, id, type)(at, i), memoryMb: 500 + (i / 20) * 10 }) });
      const result = evaluateCheck(check('memory_trend', 1, 30 * MIN), ctxOf(leak));
      expect(result.verdict).toBe('FAIL');
      expect(result.value!).toBeGreaterThan(1.5);
    });

    it('is INCONCLUSIVE when no device reported memory', () => {
      const blind = scenario({ minutes, after: (type, id) => (at, i) => ({ ...healthy(NEW, id, type)(at, i), memoryMb: undefined }) });
      expect(evaluateCheck(check('memory_trend', 1, 30 * MIN), ctxOf(blind)).verdict).toBe('INCONCLUSIVE');
    });
  });

  describe('application_health (all healthy)', () => {
    it('passes when every deployed device reports healthy on the new version', () => {
      expect(evaluateCheck(check('application_health', 100), ctxOf(good)).verdict).toBe('PASS');
    });

    it('fails when one device\'s health endpoint is down', () => {
      const down = scenario({ minutes, after: (type, id) => (at, i) => ({ ...healthy(NEW, id, type)(at, i), healthEndpoint: id === 'cam-0' ? 'down' : 'up' }) });
      const result = evaluateCheck(check('application_health', 100), ctxOf(down));
      expect(result).toMatchObject({ verdict: 'FAIL', reason: 'unhealthy_devices' });
      expect(result.details).toMatchObject({ endpoint_down: 1, healthy: 5 });
    });

    it('waits for a device that finished but has not reported the new version yet, and fails one that went back', () => {
      // cam-0 still runs OLD after its install (it reports FINISHED before its reboot): not wrong, just not there yet.
      const rebooting = scenario({ minutes, after: (type, id) => (id === 'cam-0' ? healthy(OLD, id, type) : healthy(NEW, id, type)) });
      expect(evaluateCheck(check('application_health', 100), ctxOf(rebooting))).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'devices_awaiting_new_version', details: { awaiting_new_version: 1, wrong_version: 0 } });
      // device_health judges the five that run the build; the rebooting one neither helps nor hurts.
      expect(evaluateCheck(check('device_health', 95), ctxOf(rebooting))).toMatchObject({ verdict: 'PASS', devices: 5, value: 100 });
      // cam-0 ran NEW for ten minutes, then came back on OLD: that is a wrong version.
      const back = scenario({ minutes, after: (type, id) => (at, i) => healthy(id === 'cam-0' && i >= 20 ? OLD : NEW, id, type)(at, i) });
      expect(evaluateCheck(check('application_health', 100), ctxOf(back))).toMatchObject({ verdict: 'FAIL', reason: 'unhealthy_devices', details: { wrong_version: 1 } });
    });

    it('leaves failed installs to the error condition but fails on a device that fell back to the old build', () => {
      const ctx = ctxOf(good);
      // gw-2's install failed (ERROR): it never ran the build, so its health says nothing about it.
      const installFailed = ctx.deployed.map((d) => (d.controllerId === 'gw-2' ? { ...d, failed: true } : d));
      expect(evaluateCheck(check('application_health', 100), { ...ctx, deployed: installFailed })).toMatchObject({ verdict: 'PASS', devices: 5, value: 100, details: { install_failed: 1, healthy: 5 } });
      expect(evaluateCheck(check('device_health', 95), { ...ctx, deployed: installFailed })).toMatchObject({ verdict: 'PASS', value: 100 });
      // gw-2 ran the build and came back on the old one: the build did not hold.
      const fellBack = ctx.deployed.map((d) => (d.controllerId === 'gw-2' ? { ...d, failed: true, fallback: true } : d));
      expect(evaluateCheck(check('application_health', 100), { ...ctx, deployed: fellBack })).toMatchObject({ verdict: 'FAIL', reason: 'unhealthy_devices', details: { fell_back: 1 } });
    });

    const quiet = (n: number) => Array.from({ length: n }, (_, i) => ({ controllerId: `quiet-${i}`, groupId: 'g0', deviceType: 'cam', deployedAt: good.startAt }));

    it('judges the reporting devices when at most a fifth are silent (a device gone offline does not hold the gate)', () => {
      const ctx = ctxOf(good);
      const deployed = [...ctx.deployed, ...quiet(1)];
      expect(deployed.length).toBeLessThanOrEqual(10);
      expect(evaluateCheck(check('application_health', 100), { ...ctx, deployed })).toMatchObject({ verdict: 'PASS', reason: 'all_reporting_healthy', value: 100, details: { silent: 1 } });
    });

    it('is INCONCLUSIVE when more than a fifth of the deployed devices are silent', () => {
      const ctx = ctxOf(good);
      const deployed = [...ctx.deployed, ...quiet(ctx.deployed.length)];
      expect(evaluateCheck(check('application_health', 100), { ...ctx, deployed })).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'silent_devices' });
    });
  });

  describe('crash_count (<= N in the window)', () => {
    it('passes without restarts and fails with one', () => {
      expect(evaluateCheck(check('crash_count', 0, 10 * MIN), ctxOf(good)).verdict).toBe('PASS');
      const crash = scenario({ minutes, after: (type, id) => (at, i) => ({ ...healthy(NEW, id, type)(at, i), restarts: id === 'gw-1' && i === 35 ? 1 : 0 }) });
      expect(evaluateCheck(check('crash_count', 0, 10 * MIN), ctxOf(crash))).toMatchObject({ verdict: 'FAIL', value: 1 });
      expect(evaluateCheck(check('crash_count', 1, 10 * MIN), ctxOf(crash)).verdict).toBe('PASS');
    });
  });

  describe('device_health (healthy % >= X)', () => {
    it('passes at 100% and fails when one of six devices is down (83%)', () => {
      expect(evaluateCheck(check('device_health', 95, 10 * MIN), ctxOf(good))).toMatchObject({ verdict: 'PASS', value: 100 });
      const down = scenario({ minutes, after: (type, id) => (at, i) => ({ ...healthy(NEW, id, type)(at, i), healthEndpoint: id === 'gw-2' ? 'down' : 'up' }) });
      expect(evaluateCheck(check('device_health', 95, 10 * MIN), ctxOf(down))).toMatchObject({ verdict: 'FAIL', value: 83.333333 });
      expect(evaluateCheck(check('device_health', 80, 10 * MIN), ctxOf(down)).verdict).toBe('PASS');
    });
  });

  describe('fleet_coverage (deployed % >= X)', () => {
    it('compares deployed devices with the whole rollout: pending devices make it wait, failed ones make it fail', () => {
      // 6 of 12 deployed, the other 6 not installed yet: 95 % is still reachable.
      expect(evaluateCheck(check('fleet_coverage', 95), ctxOf(good))).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'devices_still_pending', value: 50, details: { pending: 6, failed: 0 } });
      expect(evaluateCheck(check('fleet_coverage', 50), ctxOf(good))).toMatchObject({ verdict: 'PASS', value: 50 });
      // The six others all failed their installs: 95 % can no longer be reached.
      const ctx = ctxOf(good);
      const failed = good.devices.filter((d) => d.deployedAt === undefined).map((d) => ({ ...d, failed: true }));
      expect(evaluateCheck(check('fleet_coverage', 95), { ...ctx, deployed: [...ctx.deployed, ...failed] })).toMatchObject({ verdict: 'FAIL', reason: 'coverage_below_threshold', details: { pending: 0, failed: 6 } });
    });
  });
});
