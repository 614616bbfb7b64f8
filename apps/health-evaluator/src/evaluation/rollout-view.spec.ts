import { FleetRegistry, TelemetryStore, type FleetEvent } from '@rollgate/health-domain';
import { viewOf } from './rollout-view';

const ev = (streamId: string, event: string, data: Record<string, unknown>): FleetEvent => ({ tenant: 'acme', streamId, event, data });

describe('rollout view: the domain\'s inputs from the fleet registry and telemetry', () => {
  it('splits deployed (installed or failed) from control, with device types, waves and the current group', () => {
    const registry = new FleetRegistry();
    registry.apply(ev('distributionset-ds', 'distribution-set-created', { distributionSetId: 'ds', name: 'app', version: '2' }));
    registry.apply(ev('rollout-r', 'rollout-created', { rolloutId: 'r', distributionSetId: 'ds' }));
    for (const [i, members] of [['a', 'b'], ['c', 'd']].entries()) {
      registry.apply(ev(`rolloutgroup-g${i}`, 'group-created', { groupId: `g${i}`, rolloutId: 'r', index: i, name: `g${i}`, conditions: {} }));
      registry.apply(ev(`rolloutgroup-g${i}`, 'group-members-added', { chunk: 0, targetIds: members }));
      registry.apply(ev(`rolloutgroup-g${i}`, 'group-ready', { size: 2, firstActionId: 10 + i * 2 }));
    }
    registry.apply(ev('rolloutgroup-g0', 'group-started', { size: 2, at: 1 }));
    registry.apply(ev('action-10', 'action-feedback-received', { status: 'FINISHED', at: 5 }));
    registry.apply(ev('action-11', 'action-feedback-received', { status: 'ERROR', at: 6 }));
    registry.apply(ev('target-c', 'target-attributes-updated', { mode: 'merge', data: { deviceType: 'gw' }, at: 1 }));
    const telemetry = new TelemetryStore();
    telemetry.ingest({ controllerId: 'a', at: 7, deviceType: 'cam', runningVersion: 'app:2' }, 7);

    const view = viewOf(registry, registry.rollout('acme', 'r')!, telemetry);
    expect(view.targetVersion).toBe('app:2');
    expect(view.deployed.map((d) => [d.controllerId, d.deviceType, d.deployedAt, d.failed, d.telemetry !== undefined])).toEqual([['a', 'cam', 5, false, true], ['b', 'unknown', undefined, true, false]]);
    expect(view.control.map((d) => [d.controllerId, d.deviceType])).toEqual([['c', 'gw'], ['d', 'unknown']]);
    expect(view.waves).toEqual([{ groupId: 'g0', size: 2, failed: 1, started: true }, { groupId: 'g1', size: 2, failed: 0, started: false }]);
    expect(view).toMatchObject({ currentGroupId: 'g0', totalDevices: 4 });
  });
});
