import { assessVerification } from './device-verification';
import { TelemetryStore } from './device-telemetry';
import { feed, MIN, NEW, OLD, T0 } from '../test/health.fixtures';

describe('two-phase success: verified only on the new version, healthy, after the soak', () => {
  const deployedAt = T0 + 5 * MIN;
  const device = (shape: (at: number, i: number) => object, until = T0 + 10 * MIN) => {
    const store = new TelemetryStore();
    feed(store, 'd1', T0, deployedAt - MIN, 30_000, () => ({ runningVersion: OLD, healthEndpoint: 'up' }));
    feed(store, 'd1', deployedAt - MIN, until, 30_000, shape);
    return store.device('d1');
  };

  it('verifies a device that reports the new version healthy for the soak after its reboot', () => {
    const outcome = assessVerification(device(() => ({ runningVersion: NEW, healthEndpoint: 'up' })), deployedAt, NEW);
    expect(outcome).toMatchObject({ status: 'verified', reason: 'healthy_on_new_version_after_soak' });
    expect(outcome.evidence).toMatchObject({ newVersionSince: deployedAt - MIN, restartsSince: 0, downSamplesSince: 0, targetVersion: NEW });
  });

  it('keeps soaking until the soak is over and 3 healthy samples came in', () => {
    expect(assessVerification(device(() => ({ runningVersion: NEW }), deployedAt + 30_000), deployedAt, NEW, { minHealthySamples: 3, soakMs: 5 * MIN, rebootGraceMs: MIN }).reason).toBe('soaking');
  });

  it('does not verify a device on the new version that restarts or whose endpoint is down', () => {
    expect(assessVerification(device((_at, i) => ({ runningVersion: NEW, restarts: i === 5 ? 1 : 0 })), deployedAt, NEW).reason).toBe('unhealthy_on_new_version');
    expect(assessVerification(device(() => ({ runningVersion: NEW, healthEndpoint: 'down' })), deployedAt, NEW).reason).toBe('unhealthy_on_new_version');
  });

  it('detects an A/B fallback: the new version came up, then the device switched back', () => {
    const outcome = assessVerification(device((_at, i) => ({ runningVersion: i < 4 ? NEW : OLD })), deployedAt, NEW);
    expect(outcome).toMatchObject({ status: 'fallback', reason: 'switched_back_after_new_version' });
  });

  it('counts a device still on the old version well after the reboot window as fallen back, but waits within it', () => {
    expect(assessVerification(device(() => ({ runningVersion: OLD }), deployedAt + 2 * MIN), deployedAt, NEW).reason).toBe('awaiting_reboot');
    expect(assessVerification(device(() => ({ runningVersion: OLD }), deployedAt + 6 * MIN), deployedAt, NEW)).toMatchObject({ status: 'fallback', reason: 'old_version_after_reboot_window' });
  });

  it('is pending without telemetry or without a reported version', () => {
    expect(assessVerification(undefined, deployedAt, NEW).reason).toBe('no_telemetry');
    const store = new TelemetryStore();
    store.ingest({ controllerId: 'd1', at: deployedAt, errorRate: 0 }, deployedAt);
    expect(assessVerification(store.device('d1'), deployedAt, NEW).reason).toBe('version_not_reported');
  });
});
