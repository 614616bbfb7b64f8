import { RolloutLogFixture } from '../test/rollout-log.fixture';
import { replayRollout } from './rollout-replay';

describe('replayRollout (as-of state from the log alone)', () => {
  it('answers the rollout and group states recorded at each instant', () => {
    const log = RolloutLogFixture.twoGroups();
    const waiting = log.events[log.events.length - 1].recordedAt;
    log.at('2026-12-01T11:00:00.000Z').approveAndStart();
    const started = log.events[log.events.length - 1].recordedAt;
    log.at('2026-12-01T11:10:00.000Z').device(100, 'd1', 'g0', 'RUNNING', 'FINISHED').device(101, 'd2', 'g0', 'RUNNING');

    const atWaiting = replayRollout(log.events, new Date(waiting)).snapshot;
    expect(atWaiting).toMatchObject({ rolloutId: 'r1', status: 'waiting_for_approval', totalTargets: 5 });
    expect(atWaiting.groups.map((g) => [g.name, g.status, g.totalTargetsPerStatus.notstarted])).toEqual([['canary', 'ready', 2], ['wave-1', 'ready', 3]]);

    const atStart = replayRollout(log.events, new Date(started)).snapshot;
    expect(atStart.status).toBe('running');
    expect(atStart.groups[0]).toMatchObject({ status: 'running', totalTargetsPerStatus: { scheduled: 2, notstarted: 0 } });
    expect(atStart.groups[1]).toMatchObject({ status: 'scheduled', totalTargetsPerStatus: { notstarted: 3 } });

    const now = replayRollout(log.events).snapshot;
    expect(now.totalTargetsPerStatus).toEqual({ running: 1, notstarted: 3, scheduled: 0, cancelled: 0, finished: 1, error: 0 });
    expect(now.groups[0].actionStatuses).toEqual({ FINISHED: 1, RUNNING: 1 });
  });

  it('maps each action to its group and member by the firstActionId range', () => {
    const log = RolloutLogFixture.twoGroups().approveAndStart().device(101, 'd2', 'g0', 'RUNNING', 'ERROR');
    const { devices } = replayRollout(log.events);
    expect(devices.find((d) => d.actionId === 101)).toMatchObject({ targetId: 'd2', groupId: 'g0', position: 1, status: 'ERROR' });
    expect(devices.find((d) => d.targetId === 'd5')).toMatchObject({ groupId: 'g1', position: 2, actionId: 104, status: 'NOT_STARTED' });
  });

  it('counts members never picked up as cancelled once the rollout stops', () => {
    const log = RolloutLogFixture.twoGroups().approveAndStart().device(100, 'd1', 'g0', 'ERROR')
      .append('rolloutgroup-g0', 'rollout', 'group-error-condition-met', { errorAction: 'ROLLBACK', cause: 'threshold', counters: { total: 2, scheduled: 1, running: 0, downloaded: 0, finished: 0, error: 1, canceled: 0, verified: 0 } })
      .append('rollout-r1', 'rollout', 'rollout-stopping', { reason: 'rollback', groupId: 'g0' })
      .append('rollout-r1', 'rollout', 'rollout-stopped', {});
    const { snapshot } = replayRollout(log.events);
    expect(snapshot).toMatchObject({ status: 'stopped', stopReason: 'rollback' });
    expect(snapshot.groups[0]).toMatchObject({ status: 'error', totalTargetsPerStatus: { error: 1, cancelled: 1 } });
  });

  it('shows the latest health-gate step of each group', () => {
    const log = RolloutLogFixture.twoGroups().approveAndStart().device(100, 'd1', 'g0', 'FINISHED').device(101, 'd2', 'g0', 'FINISHED')
      .append('rolloutgroup-g0', 'rollout', 'group-gate-requested', { gate: 'canary_gate', counters: { total: 2, scheduled: 0, running: 0, downloaded: 0, finished: 2, error: 0, canceled: 0, verified: 0 } });
    expect(replayRollout(log.events).snapshot.groups[0]).toMatchObject({ status: 'waiting_for_gate', gate: 'canary_gate requested' });
    log.append('health-r1', 'health', 'gate-evaluated', { rolloutId: 'r1', groupId: 'g0', gate: 'canary_gate', verdictId: 'v1', verdict: 'CAUTION', reason: 'too few samples' });
    expect(replayRollout(log.events).snapshot.groups[0].gate).toBe('canary_gate CAUTION: too few samples');
    log.append('rolloutgroup-g0', 'rollout', 'group-gate-passed', { verdictId: 'v2' });
    expect(replayRollout(log.events).snapshot.groups[0].gate).toBe('canary_gate PASS');
  });

  it('keeps the state through an event type this build does not know', () => {
    const log = RolloutLogFixture.twoGroups().append('rollout-r1', 'rollout', 'rollout-something-new', { x: 1 });
    expect(replayRollout(log.events).snapshot.status).toBe('waiting_for_approval');
  });

  it('refuses an instant before the rollout existed', () => {
    const log = RolloutLogFixture.twoGroups();
    expect(() => replayRollout(log.events, new Date('2020-01-01T00:00:00Z'))).toThrow('no rollout-created');
  });
});
