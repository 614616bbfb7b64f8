import { Logger } from '@nestjs/common';
import { groupDecider, rolloutDecider, type GroupData, type GroupEvent, type GroupState, type GroupStatus, type RolloutData, type RolloutEvent, type RolloutState, type RolloutStatus } from '@rollgate/rollout-domain';
import { reactToGateVerdict, reactToGroupEvent, reactToRolloutEvent, rolloutStream, groupStream, type GateEvaluated, type SchedulerCommand } from '@rollgate/scheduling-domain';
import { DomainError, type DomainEvent } from '@rollgate/shared-domain';
import type { PoolClient } from 'pg';
import type { GroupProgressStore } from '../progress/group-progress.store';
import { timerIds, type TimerStore } from '../timers/timer.store';
import type { StreamWriter, WrittenEvent } from '../writes/stream-writer';
import type { Pacer } from './pacer';
import type { DynamicJoiner } from './dynamic-joiner';
import type { RollbackOrchestrator } from './rollback.orchestrator';

export type Rollout = RolloutData & { status: RolloutStatus };
export type Group = GroupData & { status: GroupStatus };

/** An event to react to: from the bus, from the log, or one the engine just appended itself. */
export interface SchedulerInput {
  streamId: string;
  /** the short name, e.g. `group-finished` */
  type: string;
  data: unknown;
  /** the log event's id when it came from the bus (not when the engine just appended it) */
  eventId?: string;
  /** appended by this engine in this transaction: its bookkeeping (tracking, timers) is already done */
  own?: boolean;
}

/** Events whose reaction needs the rollout's state; the rest are skipped without reading anything. */
const ROLLOUT_REACTIONS = new Set(['rollout-start-scheduled', 'rollout-starting', 'rollout-started', 'rollout-stopping', 'rollout-finished', 'rollout-deleting', 'rollout-resumed', 'rollout-group-triggered', 'rollout-rollback-requested']);
const GROUP_REACTIONS = new Set(['group-started', 'group-soak-started', 'group-success-condition-met', 'group-error-condition-met', 'group-finished']);
/** Bookkeeping syncProgress has done for the engine's own appends. */
const OWN_BOOKKEEPING = new Set(['group-started', 'group-soak-started']);

const ROLLOUT_PREFIX = 'rollout-';
const GROUP_PREFIX = 'rolloutgroup-';

/**
 * The scheduler's process manager (event-flow steps 3, 5, 8): each event is turned into commands on rollout
 * and group streams, and the events those append are reacted to at once, in the same transaction, so that a
 * threshold-crossing report, the rollout's cascade and the next group's start commit together. The same
 * events arrive again later from the bus; every reaction is then a no-op (the deciders see it was done, or
 * refuse it in the state they are now in), which is what makes redelivery and a second instance harmless.
 */
export class SchedulerEngine {
  private readonly logger = new Logger('scheduler');

  constructor(
    readonly writer: StreamWriter,
    private readonly progress: GroupProgressStore,
    private readonly timers: TimerStore,
    private readonly pacer: Pacer,
    private readonly rollback: RollbackOrchestrator,
    private readonly dynamic: DynamicJoiner,
    /** skip_and_queue: members not reached this long after their group started count as offline */
    private readonly offlineAfterMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  async react(tx: PoolClient, tenant: string, inputs: readonly SchedulerInput[]): Promise<WrittenEvent[]> {
    const queue = [...inputs];
    const written: WrittenEvent[] = [];
    for (let input = queue.shift(); input; input = queue.shift()) {
      const produced = await this.step(tx, tenant, input);
      written.push(...produced);
      queue.push(...produced.map((w) => ({ streamId: w.streamId, type: w.event.type, data: w.event.data, own: true })));
    }
    return written;
  }

  /** `forAppend`: what is decided on it only appends to the rollout's own stream (see StreamWriter.load). */
  async loadRollout(tx: PoolClient, tenant: string, rolloutId: string, forAppend = false): Promise<Rollout | undefined> {
    const { state } = await this.writer.load<unknown, RolloutState, RolloutEvent>(tx, tenant, rolloutStream(rolloutId), rolloutDecider as never, forAppend);
    return state.status === 'INITIAL' ? undefined : state;
  }

  async loadGroup(tx: PoolClient, tenant: string, groupId: string): Promise<Group | undefined> {
    const { state } = await this.writer.load<unknown, GroupState, GroupEvent>(tx, tenant, groupStream(groupId), groupDecider as never);
    return state.status === 'INITIAL' ? undefined : state;
  }

  /** Runs commands through the write path and answers the events they appended. */
  async execute(tx: PoolClient, tenant: string, commands: readonly SchedulerCommand[]): Promise<WrittenEvent[]> {
    const written: WrittenEvent[] = [];
    for (const c of commands) {
      try {
        if (c.aggregate === 'rollout') {
          const { events } = await this.writer.execute(tx, tenant, 'rollout', c.streamId, rolloutDecider, c.command);
          written.push(...events.map((event) => ({ tenant, streamId: c.streamId, event: event as DomainEvent })));
        } else {
          const { events, state } = await this.writer.execute(tx, tenant, 'rollout', c.streamId, groupDecider, c.command);
          if (events.length > 0 && state.status !== 'INITIAL') await this.syncProgress(tx, tenant, state, events);
          written.push(...events.map((event) => ({ tenant, streamId: c.streamId, event: event as DomainEvent })));
        }
      } catch (error) {
        // A refused reaction means it is not (or no longer) applicable: done by an earlier delivery or by
        // another instance, or overtaken (a stopped rollout's group finishing late). Never worth a retry.
        if (!(error instanceof DomainError)) throw error;
        this.logger.debug(`${c.command.type} on ${c.streamId} not applied: ${error.code}`);
      }
    }
    return written;
  }

  private async syncProgress(tx: PoolClient, tenant: string, group: Group, events: readonly GroupEvent[]): Promise<void> {
    if (events.some((e) => e.type === 'group-started')) {
      await this.progress.track(tx, tenant, group);
      await this.armOfflineCheck(tx, tenant, group);
    } else {
      // A decided group has nobody left to wait for.
      const decided = group.status === 'FINISHED' || group.status === 'ERROR';
      await this.progress.syncPhase(tx, tenant, group, decided ? [timerIds.offlineCheck(group.groupId)] : []);
    }
    const soak = events.find((e) => e.type === 'group-soak-started');
    if (soak && soak.type === 'group-soak-started') {
      await this.timers.set(tx, { tenant, timerId: timerIds.soak(group.groupId), kind: 'soak', rolloutId: group.rolloutId, dueAt: soak.data.until, payload: { groupId: group.groupId } });
    }
  }

  /** skip_and_queue: a durable check, pollingOverdueTime after the start, for members whose device never came. */
  async armOfflineCheck(tx: PoolClient, tenant: string, group: Group): Promise<void> {
    const rollout = await this.loadRollout(tx, tenant, group.rolloutId);
    if (!rollout || rollout.execution.offlinePolicy !== 'skip_and_queue' || group.size === 0) return;
    await this.timers.set(tx, { tenant, timerId: timerIds.offlineCheck(group.groupId), kind: 'offline-check', rolloutId: group.rolloutId, dueAt: this.clock() + this.offlineAfterMs, payload: { groupId: group.groupId } });
  }

  private async step(tx: PoolClient, tenant: string, input: SchedulerInput): Promise<WrittenEvent[]> {
    if (input.own && OWN_BOOKKEEPING.has(input.type)) return [];
    if (!ROLLOUT_REACTIONS.has(input.type) && !GROUP_REACTIONS.has(input.type)) return [];
    if (input.streamId.startsWith(GROUP_PREFIX)) return this.onGroupEvent(tx, tenant, input.streamId.slice(GROUP_PREFIX.length), input as GroupEvent);
    if (input.streamId.startsWith(ROLLOUT_PREFIX)) return this.onRolloutEvent(tx, tenant, input.streamId.slice(ROLLOUT_PREFIX.length), input as RolloutEvent, input.eventId);
    return [];
  }

  private async onRolloutEvent(tx: PoolClient, tenant: string, rolloutId: string, event: RolloutEvent, eventId: string | undefined): Promise<WrittenEvent[]> {
    const rollout = await this.loadRollout(tx, tenant, rolloutId);
    if (!rollout) return [];
    const now = this.clock();
    switch (event.type) {
      case 'rollout-start-scheduled':
        // Durable: a scheduler restarted before startAt still starts the rollout then.
        await this.timers.set(tx, { tenant, timerId: timerIds.startAt(rolloutId), kind: 'start-at', rolloutId, dueAt: event.data.startAt, payload: {} });
        return [];
      case 'rollout-starting':
        await this.timers.cancelMany(tx, tenant, [timerIds.startAt(rolloutId)]);
        break;
      case 'rollout-started':
        await this.dynamic.register(tx, tenant, rollout);
        return [];
      case 'rollout-stopping':
      case 'rollout-finished':
      case 'rollout-deleting':
        // Nothing of a stopped or finished rollout may fire later (soaks, pacing, timeouts), nor join it.
        await this.timers.cancelRollout(tx, tenant, rolloutId);
        await this.dynamic.unregister(tx, tenant, rolloutId);
        break;
      case 'rollout-resumed':
        return this.releaseRunningGroups(tx, tenant, rollout, now);
      case 'rollout-rollback-requested':
        // Planned when the request arrives from the bus: by then target_deployments has seen the feedback
        // that led to it (the orchestrator waits for that), which it cannot inside the appending transaction.
        return eventId === undefined ? [] : this.rollback.execute(tx, tenant, rollout, event, eventId, now);
      default:
        break;
    }
    const commands = await Promise.all(reactToRolloutEvent(event, rollout, now).map((c) => this.withPacing(tx, tenant, rollout, c, now)));
    return this.execute(tx, tenant, commands);
  }

  /** A group about to start gets its first release from the pacer (absent when unpaced: all members). */
  private async withPacing(tx: PoolClient, tenant: string, rollout: Rollout, c: SchedulerCommand, now: number): Promise<SchedulerCommand> {
    if (c.aggregate !== 'group' || c.command.type !== 'start-group' || !this.pacer.isPaced(rollout)) return c;
    const group = await this.loadGroup(tx, tenant, c.streamId.slice(GROUP_PREFIX.length));
    if (!group || group.status !== 'SCHEDULED') return c;
    const start = { groupId: group.groupId, size: group.size, released: 0, counters: group.counters, downloadOnly: group.conditions.actionType === 'downloadonly', notified: 0 };
    // The rollout-started event of the same reaction is not folded yet when its first group starts.
    const released = await this.pacer.nextRelease(tx, tenant, { ...rollout, status: 'RUNNING' }, start, now, true);
    return { ...c, command: { ...c.command, released } };
  }

  private async onGroupEvent(tx: PoolClient, tenant: string, groupId: string, event: GroupEvent): Promise<WrittenEvent[]> {
    const group = await this.loadGroup(tx, tenant, groupId);
    if (!group) return [];
    switch (event.type) {
      case 'group-started':
        // Also reached when the bus brings back a start this engine appended: tracking is idempotent.
        await this.progress.track(tx, tenant, group);
        return [];
      case 'group-soak-started':
        await this.timers.set(tx, { tenant, timerId: timerIds.soak(groupId), kind: 'soak', rolloutId: group.rolloutId, dueAt: event.data.until, payload: { groupId } });
        return [];
      default: {
        // Its reactions are rollout commands, appended at the version read: the rollout as this transaction
        // read it already will do (a writer in between fails the append), no second read.
        const rollout = await this.loadRollout(tx, tenant, group.rolloutId, true);
        if (!rollout) return [];
        return this.execute(tx, tenant, reactToGroupEvent(event, group, rollout, this.clock()));
      }
    }
  }

  /**
   * health-evaluator's `gate-evaluated` (event-flow step 6), recorded on the group with the latest counters.
   * A verdict for a group that is not waiting (a late or repeated one) is refused by the group decider.
   */
  async onGateEvaluated(tx: PoolClient, tenant: string, data: unknown): Promise<WrittenEvent[]> {
    const verdict = readGateEvaluated(data);
    if (!verdict) {
      this.logger.warn('ignoring a gate-evaluated event without rolloutId, groupId, verdictId and a known verdict');
      return [];
    }
    const group = await this.loadGroup(tx, tenant, verdict.groupId);
    const rollout = await this.loadRollout(tx, tenant, verdict.rolloutId);
    if (!group || !rollout || group.rolloutId !== rollout.rolloutId) return [];
    const progress = await this.progress.get(tx, tenant, group.groupId);
    const command = reactToGateVerdict(verdict, group, rollout, this.clock());
    if (command.aggregate === 'group' && command.command.type === 'record-gate-verdict' && progress) command.command.counters = progress.counters;
    return this.react(tx, tenant, toInputs(await this.execute(tx, tenant, [command])));
  }

  /**
   * health-evaluator's `rollback-triggered` (event-flow step 7): halt_and_assess pauses the rollout; the
   * rollbacks become `request-rollback`, which stops the rollout (except for single devices) and asks for
   * the rollback rollout, created when `rollout-rollback-requested` is reacted to.
   */
  async onRollbackTriggered(tx: PoolClient, tenant: string, data: unknown): Promise<WrittenEvent[]> {
    const trigger = readRollbackTriggered(data);
    if (!trigger) {
      this.logger.warn('ignoring a rollback-triggered event without rolloutId, trigger and a known action');
      return [];
    }
    const at = this.clock();
    const stream = rolloutStream(trigger.rolloutId);
    const command: SchedulerCommand =
      trigger.action === 'halt_and_assess'
        ? { aggregate: 'rollout', streamId: stream, command: { type: 'halt-rollout', trigger: trigger.trigger, at } }
        : {
            aggregate: 'rollout',
            streamId: stream,
            command: { type: 'request-rollback', scope: ROLLBACK_SCOPES[trigger.action], groupId: trigger.groupId, controllerIds: trigger.controllerIds, cause: `health:${trigger.trigger}`, at },
          };
    return this.react(tx, tenant, toInputs(await this.execute(tx, tenant, [command])));
  }

  /** A target created or changed: it may join running dynamic rollouts (their dynamic groups cascade as any). */
  async onTargetChanged(tx: PoolClient, tenant: string, controllerId: string, eventId: string): Promise<WrittenEvent[]> {
    const written = await this.dynamic.onTargetChanged(tx, tenant, controllerId, eventId, (id) => this.loadRollout(tx, tenant, id), this.clock());
    return this.react(tx, tenant, toInputs(written));
  }

  /** The dynamic-flush timer: joiners waiting for a full group get a smaller one. */
  async flushDynamic(tx: PoolClient, tenant: string, rolloutId: string, now: number): Promise<WrittenEvent[]> {
    const rollout = await this.loadRollout(tx, tenant, rolloutId);
    return rollout ? this.dynamic.flush(tx, tenant, rollout, now) : [];
  }

  /** Opens what pacing allows now in every running group of the rollout (resume, pacing timer). */
  async releaseRunningGroups(tx: PoolClient, tenant: string, rollout: Rollout, now: number): Promise<WrittenEvent[]> {
    if (!this.pacer.isPaced(rollout)) return [];
    const written: WrittenEvent[] = [];
    for (const g of await this.progress.ofRollout(tx, tenant, rollout.rolloutId)) {
      if (g.released >= g.size || g.phase === 'FINISHED' || g.phase === 'ERROR') continue;
      const released = await this.pacer.nextRelease(tx, tenant, rollout, g, now, false);
      if (released > g.released) {
        written.push(...(await this.execute(tx, tenant, [{ aggregate: 'group', streamId: groupStream(g.groupId), command: { type: 'release-group-actions', released, at: now } }])));
      }
    }
    return written;
  }
}

const ROLLBACK_SCOPES = { rollback_device: 'device', rollback_wave: 'wave', rollback_affected: 'affected', rollback_all: 'all' } as const;
type TriggerAction = keyof typeof ROLLBACK_SCOPES | 'halt_and_assess';

function toInputs(written: readonly WrittenEvent[]): SchedulerInput[] {
  return written.map((w) => ({ streamId: w.streamId, type: w.event.type, data: w.event.data, own: true }));
}

const VERDICTS = ['PASS', 'FAIL', 'CAUTION', 'INCONCLUSIVE'];

/** The fields of health-evaluator's gate-evaluated the scheduler needs; undefined when they are not there. */
function readGateEvaluated(data: unknown): GateEvaluated | undefined {
  const d = (data ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => typeof v === 'string' && v.length > 0;
  if (!str(d.rolloutId) || !str(d.groupId) || !str(d.verdictId) || !VERDICTS.includes(d.verdict as string)) return undefined;
  return { rolloutId: d.rolloutId as string, groupId: d.groupId as string, gate: String(d.gate ?? ''), verdictId: d.verdictId as string, verdict: d.verdict as GateEvaluated['verdict'], reason: typeof d.reason === 'string' ? d.reason : undefined };
}

function readRollbackTriggered(data: unknown): { rolloutId: string; groupId?: string; trigger: string; action: TriggerAction; controllerIds?: string[] } | undefined {
  const d = (data ?? {}) as Record<string, unknown>;
  if (typeof d.rolloutId !== 'string' || !d.rolloutId || typeof d.action !== 'string') return undefined;
  if (d.action !== 'halt_and_assess' && !(d.action in ROLLBACK_SCOPES)) return undefined;
  const controllerIds = Array.isArray(d.controllerIds) ? d.controllerIds.filter((c): c is string => typeof c === 'string') : undefined;
  return { rolloutId: d.rolloutId, groupId: typeof d.groupId === 'string' ? d.groupId : undefined, trigger: String(d.trigger ?? 'unknown'), action: d.action as TriggerAction, controllerIds };
}
