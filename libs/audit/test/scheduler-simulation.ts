import type { EventStore, StoredEvent } from '@rollgate/event-store';

/**
 * Plays group-scheduler, device-gateway and the devices on the log, exactly as docs/event-flow.md lays their
 * events out (steps 3-9), for specs that need a rollout to run without those services. It appends raw events
 * of the agreed types, each at its stream's current version, as the services' one write path would.
 */
export class SimulatedRun {
  private groups: Array<{ groupId: string; name: string; size: number; firstActionId: number; members: string[] }> = [];

  constructor(
    private readonly store: EventStore,
    private readonly tenant: string,
    private readonly rolloutId: string,
  ) {}

  /** The scheduler's answer to rollout-starting: every group scheduled, the rollout started, group 0 triggered. */
  async start(): Promise<void> {
    await this.loadGroups();
    for (const g of this.groups) await this.append(`rolloutgroup-${g.groupId}`, 'rollout', 'group-scheduled', {});
    await this.append(`rollout-${this.rolloutId}`, 'rollout', 'rollout-started', { groupIds: this.groups.map((g) => g.groupId) });
    await this.append(`rollout-${this.rolloutId}`, 'rollout', 'rollout-group-triggered', { groupId: this.groups[0].groupId, index: 0, reason: 'first' });
  }

  async startGroup(index: number): Promise<void> {
    const g = this.groups[index];
    await this.append(`rolloutgroup-${g.groupId}`, 'rollout', 'group-started', { size: g.size });
  }

  /** Device `position` of the group reports its way to `final` (the gateway appends action-created first). */
  async device(index: number, position: number, final: 'FINISHED' | 'ERROR' | 'RUNNING'): Promise<void> {
    const g = this.groups[index];
    const actionId = g.firstActionId + position;
    const targetId = g.members[position];
    const stream = `action-${actionId}`;
    const existing = await this.store.readStream(this.tenant, stream);
    let from = existing.length === 0 ? 'SCHEDULED' : 'RUNNING';
    if (existing.length === 0) {
      await this.append(stream, 'action', 'action-created', {
        actionId: String(actionId), targetId, distributionSetId: 'ds', rolloutId: this.rolloutId, groupId: g.groupId, actionType: 'forced', weight: 1000, maxAttempts: 1, status: 'SCHEDULED',
      }, `device:${targetId}`);
    }
    for (const status of final === 'RUNNING' ? ['RUNNING'] : from === 'RUNNING' ? [final] : ['RUNNING', final]) {
      const execution = status === 'RUNNING' ? 'proceeding' : 'closed';
      const finished = status === 'FINISHED' ? 'success' : status === 'ERROR' ? 'failure' : 'none';
      await this.append(stream, 'action', 'action-feedback-received', { channel: 'deployment', execution, finished, details: [], from, status }, `device:${targetId}`);
      from = status;
    }
  }

  /** The group's success condition and completion, then the rollout cascades or finishes. */
  async succeedGroup(index: number): Promise<void> {
    const g = this.groups[index];
    const counters = { total: g.size, scheduled: 0, running: 0, downloaded: 0, finished: g.size, error: 0, canceled: 0, verified: 0 };
    await this.append(`rolloutgroup-${g.groupId}`, 'rollout', 'group-success-condition-met', { successAction: 'NEXTGROUP', counters });
    await this.append(`rolloutgroup-${g.groupId}`, 'rollout', 'group-finished', { counters });
    const rollout = `rollout-${this.rolloutId}`;
    await this.append(rollout, 'rollout', 'rollout-group-succeeded', { groupId: g.groupId });
    await this.append(rollout, 'rollout', 'rollout-group-completed', { groupId: g.groupId });
    const next = this.groups[index + 1];
    if (next) await this.append(rollout, 'rollout', 'rollout-group-triggered', { groupId: next.groupId, index: index + 1, reason: 'success-condition' });
    else await this.append(rollout, 'rollout', 'rollout-finished', {});
  }

  /** A failed health gate on the group, then its error action ROLLBACK: the rollout stops and a rollback is asked for. */
  async failGateAndRollBack(index: number, reason: string): Promise<void> {
    const g = this.groups[index];
    const stream = `rolloutgroup-${g.groupId}`;
    const counters = { total: g.size, scheduled: 0, running: 0, downloaded: 0, finished: g.size, error: 0, canceled: 0, verified: 0 };
    await this.append(stream, 'rollout', 'group-gate-requested', { gate: 'canary_gate', counters });
    await this.append(`health-${this.rolloutId}`, 'health', 'gate-evaluated', {
      rolloutId: this.rolloutId, groupId: g.groupId, gate: 'canary_gate', verdictId: 'verdict-1', verdict: 'FAIL', reason,
      evidence: { window: '5m', samples: 120, errorRate: 0.08, baselineErrorRate: 0.004, threshold: 0.01 },
    }, 'service:health-evaluator');
    await this.append(stream, 'rollout', 'group-gate-failed', { verdictId: 'verdict-1', reason });
    await this.append(stream, 'rollout', 'group-error-condition-met', { errorAction: 'ROLLBACK', counters, cause: 'health-gate' });
    const rollout = `rollout-${this.rolloutId}`;
    await this.append(rollout, 'rollout', 'rollout-group-failed', { groupId: g.groupId, errorAction: 'ROLLBACK' });
    await this.append(rollout, 'rollout', 'rollout-stopping', { reason: 'rollback', groupId: g.groupId });
    await this.append(rollout, 'rollout', 'rollout-rollback-requested', { groupId: g.groupId, distributionSetId: 'previous' });
    await this.append(rollout, 'rollout', 'rollout-stopped', {});
  }

  groupSize(index: number): number {
    return this.groups[index].size;
  }

  private async loadGroups(): Promise<void> {
    const rollout = await this.store.readStream(this.tenant, `rollout-${this.rolloutId}`);
    const created = rollout.find((e) => e.type.endsWith('.rollout-created.v1')) as StoredEvent<{ plan: { groups: Array<{ groupId: string; name: string }> } }>;
    this.groups = [];
    for (const planned of created.data.plan.groups) {
      const events = await this.store.readStream(this.tenant, `rolloutgroup-${planned.groupId}`);
      const members = events.filter((e) => e.type.endsWith('.group-members-added.v1')).flatMap((e) => (e.data as { targetIds: string[] }).targetIds);
      const ready = events.find((e) => e.type.endsWith('.group-ready.v1'))?.data as { firstActionId: number };
      this.groups.push({ groupId: planned.groupId, name: planned.name, size: members.length, firstActionId: ready.firstActionId, members });
    }
  }

  private async append(streamId: string, aggregate: string, name: string, data: Record<string, unknown>, actor = 'service:group-scheduler'): Promise<void> {
    const version = (await this.store.readStream(this.tenant, streamId)).length;
    await this.store.append(this.tenant, streamId, version, [{ type: `io.rollgate.${aggregate}.${name}.v1`, data: { ...data, at: Date.now() }, metadata: { source: `rollgate/${actor.split(':')[1] ?? 'simulation'}`, actor } }]);
  }
}
