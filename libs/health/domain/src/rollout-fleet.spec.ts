import { FleetRegistry, INCIDENT_AFTER_MS, INCIDENT_BEFORE_MS, type FleetEvent } from './rollout-fleet';

const ev = (streamId: string, event: string, data: Record<string, unknown>, tenant = 'acme'): FleetEvent => ({ tenant, streamId, event, data });

function registry(): FleetRegistry {
  const r = new FleetRegistry();
  r.apply(ev('distributionset-ds1', 'distribution-set-created', { distributionSetId: 'ds1', name: 'app', version: '2.0' }));
  r.apply(ev('rollout-r1', 'rollout-created', { rolloutId: 'r1', distributionSetId: 'ds1', execution: { healthPreset: 'strict' } }));
  r.apply(ev('rolloutgroup-g0', 'group-created', { groupId: 'g0', rolloutId: 'r1', index: 0, name: 'canary', conditions: { healthGate: 'canary_gate' } }));
  r.apply(ev('rolloutgroup-g0', 'group-members-added', { chunk: 1, targetIds: ['c', 'd'] }));
  r.apply(ev('rolloutgroup-g0', 'group-members-added', { chunk: 0, targetIds: ['a', 'b'] }));
  r.apply(ev('rolloutgroup-g0', 'group-ready', { size: 4, firstActionId: 100 }));
  return r;
}

describe('fleet registry: who is in which group, on which action, deployed or failed', () => {
  it('orders membership by chunk number and ignores a redelivered chunk', () => {
    const r = registry();
    r.apply(ev('rolloutgroup-g0', 'group-members-added', { chunk: 0, targetIds: ['a', 'b'] }));
    const g = r.rollout('acme', 'r1')!.groups.get('g0')!;
    expect(g.members).toEqual(['a', 'b', 'c', 'd']);
    expect(g.healthGate).toBe('canary_gate');
    expect(r.rollout('acme', 'r1')!.devices.get('c')).toMatchObject({ groupId: 'g0', position: 2 });
  });

  it('maps action-<firstActionId + position> to the member, records installs and failures', () => {
    const r = registry();
    r.apply(ev('action-102', 'action-feedback-received', { from: 'RUNNING', status: 'FINISHED', at: 5000 }));
    r.apply(ev('action-103', 'action-timed-out', { at: 6000 }));
    r.apply(ev('action-104', 'action-feedback-received', { status: 'FINISHED', at: 7000 }));
    r.apply(ev('action-100', 'action-feedback-received', { status: 'FINISHED', at: 7000 }, 'other'));
    const rollout = r.rollout('acme', 'r1')!;
    expect(rollout.devices.get('c')).toMatchObject({ status: 'FINISHED', deployedAt: 5000, failed: false });
    expect(rollout.devices.get('d')).toMatchObject({ status: 'TIMED_OUT', failed: true });
    expect(rollout.devices.get('a')?.status).toBeUndefined();
    expect(rollout.groups.get('g0')!.failed).toBe(1);
  });

  it('finds the group of an action among many rollouts, whatever order their blocks were created in', () => {
    const r = registry();
    for (const [rolloutId, first] of [['r3', 5000], ['r2', 200]] as const) {
      r.apply(ev(`rollout-${rolloutId}`, 'rollout-created', { rolloutId, distributionSetId: 'ds1' }));
      r.apply(ev(`rolloutgroup-${rolloutId}g`, 'group-created', { groupId: `${rolloutId}g`, rolloutId, index: 0, name: 'all', conditions: {} }));
      r.apply(ev(`rolloutgroup-${rolloutId}g`, 'group-members-added', { chunk: 0, targetIds: [`${rolloutId}-x`, `${rolloutId}-y`] }));
      r.apply(ev(`rolloutgroup-${rolloutId}g`, 'group-ready', { size: 2, firstActionId: first }));
    }
    expect([99, 100, 103, 104, 201, 202, 4999, 5000, 5001, 5002].map((id) => r.deviceOfAction('acme', id)?.device.controllerId)).toEqual([
      undefined, 'a', 'd', undefined, 'r2-y', undefined, undefined, 'r3-x', 'r3-y', undefined,
    ]);
    expect(r.deviceOfAction('other', 100)).toBeUndefined();
  });

  it('follows the rollout\'s life and knows the target version and device types', () => {
    const r = registry();
    r.apply(ev('rollout-r1', 'rollout-starting', { at: 1000, by: 'admin' }));
    expect(r.rollout('acme', 'r1')).toMatchObject({ phase: 'starting', startingAt: 1000, execution: { healthPreset: 'strict' }, isRollback: false });
    r.apply(ev('rollout-rb', 'rollout-created', { rolloutId: 'rb', distributionSetId: 'ds0', rollbackOf: { rolloutId: 'r1' } }));
    expect(r.rollout('acme', 'rb')!.isRollback).toBe(true);
    r.apply(ev('rolloutgroup-g0', 'group-started', { size: 4, at: 2000 }));
    expect(r.rollout('acme', 'r1')!.groups.get('g0')!.started).toBe(true);
    r.apply(ev('rollout-r1', 'rollout-finished', { at: 3000 }));
    expect(r.rollout('acme', 'r1')!.phase).toBe('ended');
    expect(r.versionOf('acme', 'ds1')).toBe('app:2.0');
    r.apply(ev('target-a', 'target-attributes-updated', { mode: 'merge', data: { hw_type: 'cam-v2' }, at: 1 }));
    expect(r.deviceType('acme', 'a', 'from-telemetry')).toBe('cam-v2');
    expect(r.deviceType('acme', 'b', 'from-telemetry')).toBe('from-telemetry');
    expect(r.deviceType('acme', 'b', undefined)).toBe('unknown');
  });

  it('counts a detected fallback as a failure of its wave, once', () => {
    const r = registry();
    const rollout = r.rollout('acme', 'r1')!;
    r.markFallback(rollout, rollout.devices.get('a')!);
    r.markFallback(rollout, rollout.devices.get('a')!);
    expect(rollout.groups.get('g0')!.failed).toBe(1);
    expect(rollout.devices.get('a')).toMatchObject({ fallback: true, failed: true });
  });
});

describe('fleet registry: the evaluator\'s own conclusions read back after a restart', () => {
  it('marks verified and fallen-back devices from the health stream', () => {
    const r = registry();
    r.apply(ev('health-r1', 'device-verified', { rolloutId: 'r1', controllerId: 'a' }));
    r.apply(ev('health-r1', 'device-fallback-detected', { rolloutId: 'r1', controllerId: 'b' }));
    r.apply(ev('health-r1', 'device-verified', { rolloutId: 'r1', controllerId: 'nobody' }));
    const rollout = r.rollout('acme', 'r1')!;
    expect(rollout.devices.get('a')!.verified).toBe(true);
    expect(rollout.devices.get('b')).toMatchObject({ fallback: true, failed: true });
    expect(rollout.groups.get('g0')!.failed).toBe(1);
  });
});

describe('fleet registry: marked incidents, for baselines to leave out', () => {
  it('marks the devices a trigger named, a wave trigger\'s group, a recorded incident\'s group, or an emergency stop\'s rollout', () => {
    const r = registry();
    const window = (at: number) => [{ from: at - INCIDENT_BEFORE_MS, to: at + INCIDENT_AFTER_MS }];
    r.apply(ev('health-r1', 'rollback-triggered', { rolloutId: 'r1', controllerIds: ['a'], scope: 'single_device', at: 1_000_000 }));
    expect(r.incidentWindows('acme', 'a')).toEqual(window(1_000_000));
    expect(r.incidentWindows('acme', 'b')).toEqual([]);
    r.apply(ev('health-r1', 'rollback-triggered', { rolloutId: 'r1', controllerIds: [], scope: 'current_wave', groupId: 'g0', at: 2_000_000 }));
    expect(r.incidentWindows('acme', 'b')).toEqual(window(2_000_000));
    r.apply(ev('rollout-r1', 'rollout-incident-recorded', { incidentId: 'i1', cause: 'x', groupId: 'g0', at: 3_000_000 }));
    r.apply(ev('rollout-r1', 'rollout-stopping', { reason: 'manual', at: 4_000_000 }));
    r.apply(ev('rollout-r1', 'rollout-stopping', { reason: 'emergency', at: 5_000_000 }));
    expect(r.incidentWindows('acme', 'd')).toEqual([...window(2_000_000), ...window(3_000_000), ...window(5_000_000)]);
    expect(r.incidentWindows('other', 'd')).toEqual([]);
  });
});
