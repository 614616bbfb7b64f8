import { Logger } from '@nestjs/common';
import { parseEventType } from '@rollgate/contracts';
import { EventStore, inTransaction, loadCheckpoint, saveCheckpoint, tailLog, isAfter, checkpointOf, type Checkpoint, type StoredEvent } from '@rollgate/event-store';
import { TERMINAL_ACTION_STATUSES, type ActionStatus } from '@rollgate/rollout-domain';
import { actionIdOfStream, actionTransitionOf, findRange, groupStream, soakAfter } from '@rollgate/scheduling-domain';
import type { Pool, PoolClient } from 'pg';
import type { Rollout, SchedulerEngine } from '../engine/scheduler-engine';
import type { WrittenEvent } from '../writes/stream-writer';
import { timerIds, type Timer, type TimerStore } from '../timers/timer.store';
import { addTransition, emptyDelta, type CounterDelta, type GroupProgressStore } from './group-progress.store';

const CHECKPOINT = 'group-scheduler:action-progress';
const DEVICE_VERIFIED = 'io.rollgate.health.device-verified.v1';
/** Serialises batches across scheduler instances: each action event moves the counters exactly once. */
const LOCK_KEY = 7_320_101;
const RETRY_DELAY_MS = 500;

/** Statuses in which a device is working on its update: silence beyond the deploy timeout times it out. */
const IN_PROGRESS: readonly ActionStatus[] = ['RETRIEVED', 'DOWNLOAD', 'DOWNLOADED', 'RUNNING', 'WARNING', 'CANCEL_REJECTED'];

interface Range {
  groupId: string;
  rolloutId: string;
  firstActionId: number;
  size: number;
}

/**
 * Group counters from action events (event-flow step 5), read from the log in batches rather than one bus
 * message per transaction: a batch sums its transitions per group (O(1) per event), moves each group's
 * counters with one UPDATE, lets the group decider judge the new counters, and commits all of it with the
 * batch's checkpoint. So the counters are durable and exact (each event counted once, even with several
 * instances, see LOCK_KEY), and a crash re-applies nothing. Conditions that become true cascade inside the
 * same transaction (SchedulerEngine).
 */
export class ActionProgressRunner {
  private readonly logger = new Logger('action-progress');
  private abort = new AbortController();
  private running: Promise<void> | undefined;
  private failures = 0;

  constructor(
    private readonly pool: Pool,
    private readonly store: EventStore,
    private readonly progress: GroupProgressStore,
    private readonly timers: TimerStore,
    private readonly engine: SchedulerEngine,
    private readonly options: { batchSize?: number; idleMs?: number; clock?: () => number; read?: (after: Checkpoint, limit: number) => Promise<StoredEvent[]> } = {},
  ) {}

  async start(): Promise<void> {
    this.abort = new AbortController();
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  /** For readiness: a runner that keeps failing is reported (it keeps retrying meanwhile). */
  get healthy(): boolean {
    return this.failures < 5;
  }

  private async loop(): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        const from = await loadCheckpoint(this.pool, CHECKPOINT);
        const { batchSize = 2000, idleMs = 100, read } = this.options;
        for await (const batch of tailLog(this.pool, this.store, from, { batchSize, idleMs, read, signal: this.abort.signal })) {
          await this.applyBatch(batch);
          this.failures = 0;
        }
      } catch (error) {
        // Start over from the stored checkpoint: nothing of the failed batch was committed.
        this.failures += 1;
        this.logger.warn(`action progress batch failed (${this.failures}): ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
      }
    }
  }

  async applyBatch(batch: readonly StoredEvent[]): Promise<Checkpoint> {
    return inTransaction(this.pool, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
      const stored = await loadCheckpoint(tx, CHECKPOINT);
      const fresh = batch.filter((e) => isAfter(e, stored));
      if (fresh.length === 0) return stored;
      await this.count(tx, fresh);
      const reached = checkpointOf(fresh[fresh.length - 1]);
      await saveCheckpoint(tx, CHECKPOINT, reached);
      return reached;
    });
  }

  private async count(tx: PoolClient, events: readonly StoredEvent[]): Promise<void> {
    const byTenant = new Map<string, Array<{ actionId: number; from: ActionStatus; to: ActionStatus; at: number }>>();
    const verified = new Map<string, Map<string, number>>();
    for (const e of events) {
      // Two-phase success (event-flow step 7): health-evaluator's device-verified feeds the verified counter.
      if (e.type === DEVICE_VERIFIED) {
        const groupId = (e.data as { groupId?: unknown }).groupId;
        if (typeof groupId !== 'string') continue;
        const perGroup = verified.get(e.tenant) ?? new Map<string, number>();
        perGroup.set(groupId, (perGroup.get(groupId) ?? 0) + 1);
        verified.set(e.tenant, perGroup);
        if (!byTenant.has(e.tenant)) byTenant.set(e.tenant, []);
        continue;
      }
      const actionId = actionIdOfStream(e.streamId);
      if (actionId === undefined) continue;
      const transition = actionTransitionOf(eventNameOf(e.type), e.data);
      if (!transition) continue;
      const at = typeof (e.data as { at?: unknown }).at === 'number' ? (e.data as { at: number }).at : e.recordedAt.getTime();
      const list = byTenant.get(e.tenant) ?? [];
      list.push({ actionId, ...transition, at });
      byTenant.set(e.tenant, list);
    }
    for (const [tenant, transitions] of byTenant) await this.countTenant(tx, tenant, transitions, verified.get(tenant));
  }

  private async countTenant(
    tx: PoolClient, tenant: string, transitions: ReadonlyArray<{ actionId: number; from: ActionStatus; to: ActionStatus; at: number }>, verified = new Map<string, number>(),
  ): Promise<void> {
    const ranges = await this.ranges(tx, tenant);
    const deltas = new Map<string, { range: Range; delta: CounterDelta }>();
    for (const [groupId, n] of verified) {
      const range = ranges.find((r) => r.groupId === groupId);
      if (!range) continue;
      const entry = deltas.get(groupId) ?? { range, delta: emptyDelta() };
      entry.delta.verified += n;
      deltas.set(groupId, entry);
    }
    const timeouts = new Map<number, { range: Range; at: number; inProgress: boolean }>();
    for (const t of transitions) {
      const range = findRange(ranges, t.actionId);
      if (!range) continue; // a manual assignment, or a group this scheduler never started
      const entry = deltas.get(range.groupId) ?? { range, delta: emptyDelta() };
      addTransition(entry.delta, t.from, t.to);
      deltas.set(range.groupId, entry);
      timeouts.set(t.actionId, { range, at: t.at, inProgress: IN_PROGRESS.includes(t.to) && !TERMINAL_ACTION_STATUSES.includes(t.to) });
    }
    const rollouts = new Map<string, Rollout | undefined>();
    const rolloutOf = async (id: string) => {
      if (!rollouts.has(id)) rollouts.set(id, await this.engine.loadRollout(tx, tenant, id));
      return rollouts.get(id);
    };
    await this.deployTimeouts(tx, tenant, timeouts, rolloutOf);
    // In a fixed order: two transactions that lock several group rows always take them in the same order.
    for (const groupId of [...deltas.keys()].sort()) {
      const { range, delta } = deltas.get(groupId)!;
      const progress = await this.progress.applyDelta(tx, tenant, groupId, delta);
      const rollout = await rolloutOf(range.rolloutId);
      if (!progress || !rollout) continue;
      const clock = this.options.clock ?? Date.now;
      const now = clock();
      if (progress.phase !== 'FINISHED' && progress.phase !== 'ERROR') {
        const report = { type: 'report-group-progress' as const, counters: progress.counters, soakMs: soakAfter(rollout, progress.index), at: now };
        const written = await this.engine.execute(tx, tenant, [{ aggregate: 'group', streamId: groupStream(groupId), command: report }]);
        await this.engine.react(tx, tenant, toInputs(written));
      }
      if (progress.released < progress.size) {
        const current = (await rolloutOf(range.rolloutId))!;
        const written = await this.engine.releaseRunningGroups(tx, tenant, current, now);
        await this.engine.react(tx, tenant, toInputs(written));
      }
    }
  }

  /** Every action in progress gets (or moves) its deploy timeout; an action that left progress loses it. */
  private async deployTimeouts(tx: PoolClient, tenant: string, latest: Map<number, { range: Range; at: number; inProgress: boolean }>, rolloutOf: (id: string) => Promise<Rollout | undefined>): Promise<void> {
    const set: Timer[] = [];
    const cancel: string[] = [];
    for (const [actionId, { range, at, inProgress }] of latest) {
      const timeoutMs = (await rolloutOf(range.rolloutId))?.execution.deployTimeoutMs;
      if (timeoutMs === undefined) continue;
      if (inProgress) set.push({ tenant, timerId: timerIds.deployTimeout(actionId), kind: 'deploy-timeout', rolloutId: range.rolloutId, dueAt: at + timeoutMs, payload: { actionId } });
      else cancel.push(timerIds.deployTimeout(actionId));
    }
    await this.timers.setMany(tx, set);
    await this.timers.cancelMany(tx, tenant, cancel);
  }

  private async ranges(tx: PoolClient, tenant: string): Promise<Range[]> {
    const { rows } = await tx.query<{ group_id: string; rollout_id: string; first_action_id: string; size: number }>(
      `SELECT group_id, rollout_id, first_action_id, size FROM scheduler_groups WHERE tenant = $1 ORDER BY first_action_id`,
      [tenant],
    );
    return rows.map((r) => ({ groupId: r.group_id, rolloutId: r.rollout_id, firstActionId: Number(r.first_action_id), size: r.size }));
  }
}

/** Short event names by type, remembered: a batch holds thousands of events of a handful of types. */
const eventNames = new Map<string, string>();
const EVENT_NAMES_KEPT = 1000;

function eventNameOf(type: string): string {
  let name = eventNames.get(type);
  if (name === undefined) {
    try {
      name = parseEventType(type).event;
    } catch {
      name = '';
    }
    if (eventNames.size < EVENT_NAMES_KEPT) eventNames.set(type, name);
  }
  return name;
}

function toInputs(written: readonly WrittenEvent[]) {
  return written.map((w) => ({ streamId: w.streamId, type: w.event.type, data: w.event.data, own: true }));
}
