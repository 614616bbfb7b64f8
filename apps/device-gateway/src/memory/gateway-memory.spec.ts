import fc from 'fast-check';
import { eventType } from '@rollgate/contracts';
import { cancelPending, GatewayMemory, isOpen, offeredAction, statusOf, type LogEvent } from './gateway-memory';

const T = 'acme';
const AT = 1_764_000_000_000;

/** A tiny log: appends with per-stream versions, as the event store numbers them. */
class Log {
  readonly events: LogEvent[] = [];
  private readonly versions = new Map<string, number>();

  add(streamId: string, aggregate: string, name: string, data: object): LogEvent {
    const version = (this.versions.get(streamId) ?? 0) + 1;
    this.versions.set(streamId, version);
    const event = { tenant: T, streamId, streamVersion: version, type: eventType(aggregate, name), data };
    this.events.push(event);
    return event;
  }

  target(id: string): void {
    this.add(`target-${id}`, 'target', 'target-created', { controllerId: id, name: id, description: '', address: null, securityToken: `tok-${id}`, by: 'a', at: AT });
  }

  rollout(rolloutId: string, members: string[], firstActionId: number, weight = 500): string {
    const groupId = `${rolloutId}-g`;
    this.add(`rollout-${rolloutId}`, 'rollout', 'rollout-created', { rolloutId, distributionSetId: 'ds-1', actionType: 'forced', weight, execution: { maxAttempts: 2, deployTimeoutMs: 60_000 } });
    this.add(`rolloutgroup-${groupId}`, 'rollout', 'group-created', { groupId, rolloutId, index: 0 });
    // Two membership chunks: positions follow chunk order.
    this.add(`rolloutgroup-${groupId}`, 'rollout', 'group-members-added', { chunk: 0, targetIds: members.slice(0, 2) });
    if (members.length > 2) this.add(`rolloutgroup-${groupId}`, 'rollout', 'group-members-added', { chunk: 1, targetIds: members.slice(2) });
    this.add(`rolloutgroup-${groupId}`, 'rollout', 'group-ready', { size: members.length, firstActionId });
    return groupId;
  }

  feed(memory: GatewayMemory): GatewayMemory {
    for (const event of this.events) memory.apply(event);
    return memory;
  }
}

const created = (actionId: number, targetId: string, extra: object = {}) => ({
  actionId: String(actionId), targetId, distributionSetId: 'ds-9', actionType: 'forced', weight: 1000, maxAttempts: 1, status: 'SCHEDULED', at: AT, ...extra,
});

describe('gateway memory', () => {
  it('opens the actions of started members only, at firstActionId + position, and more as the scheduler releases them', () => {
    const log = new Log();
    ['d0', 'd1', 'd2', 'd3'].forEach((d) => log.target(d));
    const groupId = log.rollout('r1', ['d0', 'd1', 'd2', 'd3'], 50);
    const memory = log.feed(new GatewayMemory());
    expect(memory.device(T, 'd0')?.open.size).toBe(0);
    memory.apply(log.add(`rolloutgroup-${groupId}`, 'rollout', 'group-started', { size: 4, released: 2 }));
    expect([...(memory.device(T, 'd1')?.open.keys() ?? [])]).toEqual([51]);
    expect(memory.device(T, 'd2')?.open.size).toBe(0);
    memory.apply(log.add(`rolloutgroup-${groupId}`, 'rollout', 'group-actions-released', { released: 4 }));
    expect([...(memory.device(T, 'd3')?.open.keys() ?? [])]).toEqual([53]);
    const action = memory.device(T, 'd3')?.open.get(53);
    expect(action && statusOf(action)).toBe('SCHEDULED');
    expect(action?.template).toMatchObject({ rolloutId: 'r1', groupId, distributionSetId: 'ds-1', weight: 500, maxAttempts: 2, progressTimeoutMs: 60_000 });
  });

  it('offers the open action of highest weight, then the oldest', () => {
    const log = new Log();
    log.target('d0');
    const groupId = log.rollout('r1', ['d0'], 10, 500);
    log.add(`rolloutgroup-${groupId}`, 'rollout', 'group-started', { size: 1 });
    log.add('action-5', 'action', 'action-created', created(5, 'd0', { weight: 400 }));
    const memory = log.feed(new GatewayMemory());
    expect(offeredAction(memory.device(T, 'd0')!)?.actionId).toBe(10);
    memory.apply(log.add('action-7', 'action', 'action-created', created(7, 'd0', { weight: 500 })));
    expect(offeredAction(memory.device(T, 'd0')!)?.actionId).toBe(7);
  });

  it('closes an action on its terminal event and remembers the last finished one as installed', () => {
    const log = new Log();
    log.target('d0');
    log.add('action-1', 'action', 'action-created', created(1, 'd0'));
    log.add('action-1', 'action', 'action-feedback-received', { execution: 'closed', finished: 'success', details: ['ok'], channel: 'deployment', from: 'SCHEDULED', status: 'FINISHED', at: AT });
    log.add('action-2', 'action', 'action-created', created(2, 'd0', { progressTimeoutMs: 1 }));
    log.add('action-2', 'action', 'action-retrieved', { at: AT });
    log.add('action-2', 'action', 'action-timed-out', { from: 'RETRIEVED', lastProgressAt: AT, timeoutMs: 1, at: AT + 1 });
    const memory = log.feed(new GatewayMemory());
    const device = memory.device(T, 'd0')!;
    expect(device.open.size).toBe(0);
    expect(device.installed?.actionId).toBe(1);
    expect(device.installed?.messages).toEqual(['action-created: SCHEDULED', 'action-feedback-received: FINISHED (ok)']);
    expect(statusOf(memory.tenant(T)!.actions.get(2)!)).toBe('TIMED_OUT');
  });

  it("a rollout's stop offers the cancel to devices that retrieved their action and silently drops the others", () => {
    const log = new Log();
    ['d0', 'd1'].forEach((d) => log.target(d));
    const groupId = log.rollout('r1', ['d0', 'd1'], 20);
    log.add(`rolloutgroup-${groupId}`, 'rollout', 'group-started', { size: 2 });
    log.add('action-20', 'action', 'action-created', { ...created(20, 'd0'), rolloutId: 'r1', groupId });
    log.add('action-20', 'action', 'action-retrieved', { at: AT });
    log.add('rollout-r1', 'rollout', 'rollout-stopping', { reason: 'manual', by: 'ops', at: AT });
    log.add(`rolloutgroup-${groupId}`, 'rollout', 'group-actions-released', { released: 2 });
    const memory = log.feed(new GatewayMemory());
    const retrieved = memory.device(T, 'd0')!.open.get(20)!;
    expect(cancelPending(retrieved)).toBe(true);
    expect(memory.device(T, 'd1')!.open.size).toBe(0);
    expect(statusOf(memory.tenant(T)!.actions.get(21)!)).toBe('CANCELED');
    memory.apply(log.add('action-20', 'action', 'action-cancel-requested', { from: 'RETRIEVED', by: 'rollout-stopping', at: AT }));
    memory.apply(log.add('action-20', 'action', 'action-canceled', { from: 'CANCELING', forced: false, at: AT }));
    expect(isOpen(retrieved)).toBe(false);
    expect(retrieved.stopRequested).toBe(false);
  });

  it('keeps targets, their tokens and attributes, and forgets the open actions of a deleted target', () => {
    const log = new Log();
    log.target('d0');
    log.add('target-d0', 'target', 'target-updated', { securityToken: 'newtoken', by: 'a', at: AT });
    log.add('target-d0', 'target', 'target-attributes-updated', { mode: 'merge', data: { a: '1', b: '2' }, at: AT });
    log.add('target-d0', 'target', 'target-attributes-updated', { mode: 'remove', data: { a: '' }, at: AT });
    log.add('action-1', 'action', 'action-created', created(1, 'd0'));
    const memory = log.feed(new GatewayMemory());
    expect(memory.device(T, 'd0')).toMatchObject({ securityToken: 'newtoken', attributes: { b: '2' } });
    expect(memory.device(T, 'd0')?.open.size).toBe(1);
    memory.apply(log.add('target-d0', 'target', 'target-deleted', { by: 'a', at: AT }));
    expect(memory.device(T, 'd0')).toBeUndefined();
  });

  it('knows tenant configuration and which artifacts a module names', () => {
    const log = new Log();
    log.add(`tenantconfig-${T}`, 'tenantconfig', 'config-value-set', { key: 'pollingTime', value: '00:00:10', by: 'a', at: AT });
    log.add('softwaremodule-m1', 'softwaremodule', 'software-module-created', { moduleId: 'm1', name: 'fw', version: '2', type: 'os' });
    log.add('softwaremodule-m1', 'softwaremodule', 'software-module-artifact-added', { artifactId: 'a1', fileName: 'fw.bin', sha256: 'f'.repeat(64), sha1: '1'.repeat(40), md5: '2'.repeat(32), size: 9 });
    const memory = log.feed(new GatewayMemory());
    expect(memory.config(T, 'pollingTime')).toBe('00:00:10');
    expect(memory.tenant(T)?.modules.get('m1')?.artifacts.get('fw.bin')).toBe('f'.repeat(64));
    expect(memory.tenant(T)?.artifacts.get('f'.repeat(64))).toMatchObject({ size: 9, fileName: 'fw.bin' });
    memory.apply(log.add('softwaremodule-m1', 'softwaremodule', 'software-module-artifact-removed', { artifactId: 'a1' }));
    expect(memory.tenant(T)?.modules.get('m1')?.artifacts.size).toBe(0);
  });

  it('tells the events it holds already (what the log follower need not read the payload of) from new ones', () => {
    const log = new Log();
    log.target('d0');
    const memory = log.feed(new GatewayMemory());
    expect(memory.applied({ tenant: T, streamId: 'target-d0', streamVersion: 1 })).toBe(true);
    expect(memory.applied({ tenant: T, streamId: 'target-d0', streamVersion: 2 })).toBe(false);
    expect(memory.applied({ tenant: T, streamId: 'target-d1', streamVersion: 1 })).toBe(false);
    expect(memory.applied({ tenant: 'other', streamId: 'target-d0', streamVersion: 1 })).toBe(false);
    // An event it skips as applied is never read beyond its stream and version.
    const unreadable = { tenant: T, streamId: 'target-d0', streamVersion: 1, type: 'not an event type', get data(): unknown { throw new Error('payload read') } };
    expect(() => memory.apply(unreadable)).not.toThrow();
  });

  it('property: applying every event again (our own appends seen once more from the log) changes nothing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.constantFrom('download', 'proceeding', 'closed'), { maxLength: 5 }), fc.boolean(), (size, steps, stop) => {
        const log = new Log();
        const members = Array.from({ length: size }, (_, i) => `d${i}`);
        members.forEach((d) => log.target(d));
        const groupId = log.rollout('r1', members, 1);
        log.add(`rolloutgroup-${groupId}`, 'rollout', 'group-started', { size, released: Math.ceil(size / 2) });
        log.add('action-1', 'action', 'action-created', { ...created(1, 'd0'), rolloutId: 'r1', groupId });
        let from = 'SCHEDULED';
        for (const execution of steps) {
          const status = execution === 'closed' ? 'FINISHED' : execution === 'download' ? 'DOWNLOAD' : 'RUNNING';
          log.add('action-1', 'action', 'action-feedback-received', { execution, finished: 'none', details: [], channel: 'deployment', from, status, at: AT });
          from = status;
          if (status === 'FINISHED') break;
        }
        if (stop) log.add('rollout-r1', 'rollout', 'rollout-stopping', { reason: 'manual', at: AT });
        const once = log.feed(new GatewayMemory());
        const twice = new GatewayMemory();
        for (const event of log.events) {
          twice.apply(event);
          twice.apply(event);
        }
        const view = (m: GatewayMemory) => members.map((d) => [...(m.device(T, d)?.open.values() ?? [])].map((a) => [a.actionId, statusOf(a), a.version, cancelPending(a), a.messages.length]));
        expect(view(twice)).toEqual(view(once));
      }),
      { numRuns: 200 },
    );
  });
  describe('auto-confirmation', () => {
    const created = (actionId: number, targetId: string, status: string) => ({
      actionId: String(actionId), targetId, distributionSetId: 'ds-1', actionType: 'forced', weight: 1000, maxAttempts: 1, status, at: AT,
    });

    it('follows activation and deactivation, and tells listeners of the actions waiting on an auto-confirming target', () => {
      const log = new Log();
      log.target('d1');
      log.target('d2');
      log.add('action-7', 'action', 'action-created', created(7, 'd1', 'WAIT_FOR_CONFIRMATION'));
      log.add('action-8', 'action', 'action-created', created(8, 'd1', 'SCHEDULED'));
      const memory = log.feed(new GatewayMemory());
      const due: number[] = [];
      const stop = memory.onAutoConfirmDue((entry) => due.push(entry.actionId));
      expect(memory.dueForAutoConfirm()).toEqual([]);

      memory.apply(log.add('target-d1', 'target', 'target-auto-confirm-activated', { initiator: null, remark: 'r', by: 'ops', at: AT + 5 }));
      expect(memory.device(T, 'd1')?.autoConfirm).toEqual({ initiator: null, remark: 'r', activatedAt: AT + 5, activatedBy: 'ops' });
      expect(due).toEqual([7]);
      expect(memory.dueForAutoConfirm().map((e) => e.actionId)).toEqual([7]);

      // A waiting action that arrives later is reported as it is applied; one on another target is not.
      memory.apply(log.add('action-9', 'action', 'action-created', created(9, 'd1', 'WAIT_FOR_CONFIRMATION')));
      memory.apply(log.add('action-10', 'action', 'action-created', created(10, 'd2', 'WAIT_FOR_CONFIRMATION')));
      expect(due).toEqual([7, 9]);
      memory.apply(log.add('action-7', 'action', 'action-confirmed', { details: ['auto'], auto: { initiator: null, activatedBy: 'ops' }, at: AT }));
      expect(memory.dueForAutoConfirm().map((e) => e.actionId)).toEqual([9]);

      memory.apply(log.add('target-d1', 'target', 'target-auto-confirm-deactivated', { by: 'ops', at: AT + 6 }));
      expect(memory.device(T, 'd1')?.autoConfirm).toBeUndefined();
      expect(memory.dueForAutoConfirm()).toEqual([]);
      stop();
      memory.apply(log.add('target-d1', 'target', 'target-auto-confirm-activated', { initiator: null, remark: null, by: 'ops', at: AT + 7 }));
      expect(due).toEqual([7, 9]);
    });

    it('a deleted target loses it, and one created again under the same id starts without it', () => {
      const log = new Log();
      log.target('d1');
      log.add('target-d1', 'target', 'target-auto-confirm-activated', { initiator: 'i', remark: null, by: 'ops', at: AT });
      log.add('target-d1', 'target', 'target-deleted', { by: 'ops', at: AT });
      log.add('target-d1', 'target', 'target-created', { controllerId: 'd1', name: 'd1', description: '', address: null, securityToken: 'tok', by: 'a', at: AT });
      expect(log.feed(new GatewayMemory()).device(T, 'd1')?.autoConfirm).toBeUndefined();
    });
  });
});
