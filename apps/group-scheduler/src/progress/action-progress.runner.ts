import { Logger } from '@nestjs/common';
import { parseEventType } from '@rollgate/contracts';
import { EventStore, loadCheckpoint, tailLog, isAfter, checkpointOf, LOG_START, type Checkpoint, type StoredEvent } from '@rollgate/event-store';
import { groupDecider, rolloutDecider, TERMINAL_ACTION_STATUSES, type ActionStatus } from '@rollgate/rollout-domain';
import { actionIdOfStream, actionTransitionOf, findRange, groupStream, rolloutStream, soakAfter, STATUS_CHANGING_ACTION_EVENTS } from '@rollgate/scheduling-domain';
import type { Pool, PoolClient, QueryResult } from 'pg';
import type { Rollout, SchedulerEngine } from '../engine/scheduler-engine';
import { isVersionConflict, type WrittenEvent } from '../writes/stream-writer';
import { timerIds, type Timer, type TimerStore } from '../timers/timer.store';
import { addTransition, emptyDelta, progressOf, type CounterDelta, type GroupProgress, type GroupProgressStore } from './group-progress.store';

const CHECKPOINT = 'group-scheduler:action-progress';
const DEVICE_VERIFIED = 'io.rollgate.health.device-verified.v1';
/** Serialises batches across scheduler instances: each action event moves the counters exactly once. */
const LOCK_KEY = 7_320_101;
const RETRY_DELAY_MS = 500;
/** Batches run again at once after a version conflict in their cascade, before the loop's slower retry. */
const CONFLICT_ATTEMPTS = 5;
/** Tenants whose group ranges are remembered; past it they are read again as needed. */
const RANGES_KEPT_TENANTS = 1000;
/** BEGIN, this runner's lock, then its checkpoint read under the lock (see applyBatch). */
const BEGIN_LOCKED = `BEGIN; SELECT pg_advisory_xact_lock(${LOCK_KEY}); SELECT transaction_id::text AS tx, position::text AS position FROM log_checkpoints WHERE name = '${CHECKPOINT}'`;
/** BEGIN_LOCKED's statements: the checkpoint's is the last of them. */
const BEGIN_STATEMENTS = 3;

/** The batch's checkpoint and COMMIT, in one simple query (a checkpoint is two integers: nothing to escape). */
function saveAndCommit(reached: Checkpoint): string {
  return `INSERT INTO log_checkpoints (name, transaction_id, position, updated_at) VALUES ('${CHECKPOINT}', '${BigInt(reached.transactionId)}'::xid8, ${BigInt(reached.position)}, now())
          ON CONFLICT (name) DO UPDATE SET transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position, updated_at = now(); COMMIT`;
}

/** Statuses in which a device is working on its update: silence beyond the deploy timeout times it out. */
const IN_PROGRESS: readonly ActionStatus[] = ['RETRIEVED', 'DOWNLOAD', 'DOWNLOADED', 'RUNNING', 'WARNING', 'CANCEL_REJECTED'];

interface Range {
  groupId: string;
  rolloutId: string;
  firstActionId: number;
  size: number;
}

interface Transition {
  actionId: number;
  from: ActionStatus;
  to: ActionStatus;
  at: number;
}

/** What a batch moves for one tenant: its actions' transitions in log order, device-verified per group. */
interface Moved {
  transitions: Transition[];
  verified: Map<string, number>;
}

/** A batch's moves by tenant, in the order the tenants first appear in it. */
type Tally = Map<string, Moved>;

type Deltas = Map<string, { range: Range; delta: CounterDelta }>;

/** The first group of a batch, sent along with BEGIN_LOCKED (see ActionProgressRunner.lead). */
interface Lead {
  sql: string;
  /** takes the results of `sql`'s statements, once the whole batch turned out fresh */
  absorb(results: QueryResult[]): Promise<Early>;
}

/** What the lead needs of a rollout's state as last folded (see StreamWriter.peek). */
interface PeekedRollout {
  status: string;
  execution?: { deployTimeoutMs?: number };
  groups?: ReadonlyArray<{ groupId: string; triggered?: boolean }>;
}

/** What the first round trip did for the first group of the batch's first tenant. */
interface Early {
  tenant: string;
  ranges: Range[];
  deltas: Deltas;
  groupId: string;
  progress: GroupProgress | undefined;
  rollout: Rollout | undefined;
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
  /** started groups' id ranges by tenant (see ranges) */
  private readonly knownRanges = new Map<string, Range[]>();

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

  /**
   * One transaction per batch, in few round trips: every one of them is part of the scheduler's reaction
   * time, and behind a burst each waits for whatever else the process is busy with (the relay, the read
   * models). BEGIN, the lock and the checkpoint read travel as one simple query (each statement of a simple
   * query reads with its own snapshot, so the checkpoint is read after the lock is held, as two queries
   * would), and at the end the checkpoint and COMMIT. The first group's counters and the streams its
   * judgement reads join the first round trip (see Lead).
   */
  async applyBatch(batch: readonly StoredEvent[]): Promise<Checkpoint> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.applyBatchOnce(batch);
      } catch (error) {
        // The cascade appends without savepoints: a writer that came in between fails the whole batch,
        // which then runs again at once (nothing of it was committed).
        if (!isVersionConflict(error) || attempt >= CONFLICT_ATTEMPTS) throw error;
      }
    }
  }

  private async applyBatchOnce(batch: readonly StoredEvent[]): Promise<Checkpoint> {
    // Tallied before the transaction: it holds the lock that every instance's counters wait for.
    const tally = tallyOf(batch);
    const tx = await this.pool.connect();
    let broken: Error | undefined;
    try {
      return await this.engine.writer.inScope(
        tx,
        async () => {
          const lead = batch.length > 0 ? this.lead(tx, tally, batch[0]) : undefined;
          const begun = (await tx.query(lead ? `${BEGIN_LOCKED}; ${lead.sql}` : BEGIN_LOCKED)) as unknown as QueryResult[];
          const row = begun[BEGIN_STATEMENTS - 1].rows[0] as { tx: string; position: string } | undefined;
          const stored = row ? { transactionId: BigInt(row.tx), position: BigInt(row.position) } : LOG_START;
          const fresh = freshPart(batch, stored);
          if (fresh.length === 0) {
            await tx.query('COMMIT');
            return stored;
          }
          // The lead's counters moved only if the whole batch is fresh (its statement's condition); else
          // another instance got into this batch first, and the fresh part is counted as it comes.
          const early = lead && fresh === batch ? await lead.absorb(begun.slice(BEGIN_STATEMENTS)) : undefined;
          await this.count(tx, fresh === batch ? tally : tallyOf(fresh), early);
          // The batch's events (reports and their cascades) go out together, right before the commit.
          await this.engine.writer.flush(tx);
          const reached = checkpointOf(fresh[fresh.length - 1]);
          const done = (await tx.query(saveAndCommit(reached))) as unknown as QueryResult[];
          if (done[done.length - 1].command === 'ROLLBACK') throw new Error('the counters transaction was aborted by an earlier error and rolled back at commit');
          return reached;
        },
        { savepoints: false, deferAppends: true },
      );
    } catch (error) {
      await tx.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      tx.release(broken);
    }
  }

  /**
   * The batch's first group to judge (the first tenant's, in the fixed order of countTenant), when it can
   * join the first round trip: its tenant's ranges are known, and none of the tenant's rollouts in the
   * batch has a deploy timeout (whose timers countTenant writes before any counter, in the order every
   * transaction takes those rows). Its rollout's and group's streams, which its judgement reads, come
   * along; its counters move only if the whole batch is past the stored checkpoint (`first` is its first
   * event). Undefined: nothing joins, the batch is counted with one statement each, as it comes.
   */
  private lead(tx: PoolClient, tally: Tally, first: StoredEvent): Lead | undefined {
    const [tenant, moved] = tally.entries().next().value ?? [];
    if (tenant === undefined || !moved) return undefined;
    const ranges = this.knownRanges.get(tenant);
    if (!ranges || isStale(ranges, moved)) return undefined;
    const deltas = deltasOf(ranges, moved);
    if (deltas.size === 0) return undefined;
    // A rollout's execution (its deploy timeout) is fixed when it is created, so a state folded earlier tells.
    const rollouts = new Set([...deltas.values()].map((d) => d.range.rolloutId));
    for (const rolloutId of rollouts) {
      const known = this.engine.writer.peek<PeekedRollout>(tenant, rolloutStream(rolloutId));
      if (!known || known.status === 'INITIAL' || known.execution?.deployTimeoutMs !== undefined) return undefined;
    }
    const groupId = [...deltas.keys()].sort()[0];
    const { range, delta } = deltas.get(groupId)!;
    const behind = `EXISTS (SELECT 1 FROM log_checkpoints WHERE name = '${CHECKPOINT}' AND (transaction_id, position) >= ('${BigInt(first.transactionId)}'::xid8, ${BigInt(first.position)}))`;
    const rolloutLoad = this.engine.writer.loadStatement(tx, tenant, rolloutStream(range.rolloutId));
    const groupLoad = this.engine.writer.loadStatement(tx, tenant, groupStream(groupId));
    // The group a crossing would start next (the rollout's first untriggered one, as it was last folded):
    // read now, the start's append needs no read of its own. A few rows from the cached version on.
    const nextId = this.engine.writer.peek<PeekedRollout>(tenant, rolloutStream(range.rolloutId))?.groups?.find((g) => !g.triggered)?.groupId;
    const nextLoad = nextId === undefined || nextId === groupId ? undefined : this.engine.writer.loadStatement(tx, tenant, groupStream(nextId));
    return {
      sql: [this.progress.deltaStatement(tx, tenant, groupId, delta, behind), rolloutLoad.sql, groupLoad.sql, ...(nextLoad ? [nextLoad.sql] : [])].join('; '),
      absorb: async ([counted, rolloutRows, groupRows, nextRows]) => {
        const rollout = await rolloutLoad.absorb(rolloutDecider as never, rolloutRows.rows);
        await groupLoad.absorb(groupDecider as never, groupRows.rows);
        if (nextLoad) await nextLoad.absorb(groupDecider as never, nextRows.rows);
        const state = rollout.state as Rollout | { status: 'INITIAL' };
        return { tenant, ranges, deltas, groupId, progress: progressOf(counted.rows), rollout: state.status === 'INITIAL' ? undefined : state };
      },
    };
  }

  private async count(tx: PoolClient, tally: Tally, early?: Early): Promise<void> {
    for (const [tenant, moved] of tally) await this.countTenant(tx, tenant, moved, early?.tenant === tenant ? early : undefined);
  }

  /** `early`: the tenant's first group's counters already moved, and its rollout read, in the first round trip. */
  private async countTenant(tx: PoolClient, tenant: string, moved: Moved, early?: Early): Promise<void> {
    const known = this.knownRanges.get(tenant);
    // Read again when an action falls outside them: a group started since (by another instance, say), or an
    // action of no group (a manual assignment).
    const ranges = early?.ranges ?? (known && !isStale(known, moved) ? known : await this.ranges(tx, tenant));
    const deltas = early?.deltas ?? deltasOf(ranges, moved);
    const { transitions } = moved;
    const rollouts = new Map<string, Rollout | undefined>();
    if (early) rollouts.set(deltas.get(early.groupId)!.range.rolloutId, early.rollout);
    const rolloutOf = async (id: string) => {
      if (!rollouts.has(id)) rollouts.set(id, await this.engine.loadRollout(tx, tenant, id));
      return rollouts.get(id);
    };
    // Deploy timeouts only where the rollout has one (each action's latest transition of the batch).
    const timed = new Set<string>();
    for (const rolloutId of new Set([...deltas.values()].map((d) => d.range.rolloutId))) {
      if ((await rolloutOf(rolloutId))?.execution.deployTimeoutMs !== undefined) timed.add(rolloutId);
    }
    if (timed.size > 0) {
      const timeouts = new Map<number, { range: Range; at: number; inProgress: boolean }>();
      for (const t of transitions) {
        const range = findRange(ranges, t.actionId);
        if (range && timed.has(range.rolloutId)) timeouts.set(t.actionId, { range, at: t.at, inProgress: IN_PROGRESS.includes(t.to) && !TERMINAL_ACTION_STATUSES.includes(t.to) });
      }
      await this.deployTimeouts(tx, tenant, timeouts, rolloutOf);
    }
    // In a fixed order: two transactions that lock several group rows always take them in the same order.
    for (const groupId of [...deltas.keys()].sort()) {
      const { range, delta } = deltas.get(groupId)!;
      const progress = early?.groupId === groupId ? early.progress : await this.progress.applyDelta(tx, tenant, groupId, delta);
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

  /**
   * The tenant's started groups' id ranges, read at the start of a batch (before this transaction started
   * any group itself), so only committed ones. Remembered: a group's row and range never change once
   * written (track inserts it once), and a batch with an action outside every remembered range reads them
   * again.
   */
  private async ranges(tx: PoolClient, tenant: string): Promise<Range[]> {
    const { rows } = await tx.query<{ group_id: string; rollout_id: string; first_action_id: string; size: number }>(
      `SELECT group_id, rollout_id, first_action_id, size FROM scheduler_groups WHERE tenant = $1 ORDER BY first_action_id`,
      [tenant],
    );
    const ranges = rows.map((r) => ({ groupId: r.group_id, rolloutId: r.rollout_id, firstActionId: Number(r.first_action_id), size: r.size }));
    if (this.knownRanges.size >= RANGES_KEPT_TENANTS && !this.knownRanges.has(tenant)) this.knownRanges.clear();
    this.knownRanges.set(tenant, ranges);
    return ranges;
  }
}

/** The events of a batch (in log order) past the stored checkpoint: all of them, unless another instance got further. */
function freshPart(batch: readonly StoredEvent[], stored: Checkpoint): readonly StoredEvent[] {
  if (batch.length === 0 || isAfter(batch[0], stored)) return batch;
  return batch.filter((e) => isAfter(e, stored));
}

/**
 * The transitions and verifications of a batch by tenant. Most of a page is action events: the cheap tests
 * first, the payload only for a status change.
 */
function tallyOf(events: readonly StoredEvent[]): Tally {
  const tally: Tally = new Map();
  const movedIn = (tenant: string) => {
    let moved = tally.get(tenant);
    if (!moved) tally.set(tenant, (moved = { transitions: [], verified: new Map() }));
    return moved;
  };
  for (const e of events) {
    // Two-phase success (event-flow step 7): health-evaluator's device-verified feeds the verified counter.
    if (e.type === DEVICE_VERIFIED) {
      const groupId = (e.data as { groupId?: unknown }).groupId;
      if (typeof groupId !== 'string') continue;
      const { verified } = movedIn(e.tenant);
      verified.set(groupId, (verified.get(groupId) ?? 0) + 1);
      continue;
    }
    const name = eventNameOf(e.type);
    if (!STATUS_CHANGING_ACTION_EVENTS.has(name)) continue;
    const actionId = actionIdOfStream(e.streamId);
    if (actionId === undefined) continue;
    const data = e.data as { at?: unknown };
    const transition = actionTransitionOf(name, data);
    if (!transition) continue;
    movedIn(e.tenant).transitions.push({ actionId, from: transition.from, to: transition.to, at: typeof data.at === 'number' ? data.at : e.recordedAt.getTime() });
  }
  return tally;
}

/** Ranges that miss an action or a verified group of the batch: read them again. */
function isStale(ranges: readonly Range[], moved: Moved): boolean {
  return moved.transitions.some((t) => !findRange(ranges, t.actionId)) || [...moved.verified.keys()].some((g) => !ranges.some((range) => range.groupId === g));
}

/** A tenant's moves summed per group (O(1) per event); actions of no started group are left out. */
function deltasOf(ranges: readonly Range[], moved: Moved): Deltas {
  const deltas: Deltas = new Map();
  for (const [groupId, n] of moved.verified) {
    const range = ranges.find((r) => r.groupId === groupId);
    if (!range) continue;
    const entry = deltas.get(groupId) ?? { range, delta: emptyDelta() };
    entry.delta.verified += n;
    deltas.set(groupId, entry);
  }
  for (const t of moved.transitions) {
    const range = findRange(ranges, t.actionId);
    if (!range) continue; // a manual assignment, or a group this scheduler never started
    let entry = deltas.get(range.groupId);
    if (!entry) deltas.set(range.groupId, (entry = { range, delta: emptyDelta() }));
    addTransition(entry.delta, t.from, t.to);
  }
  return deltas;
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

