import { Logger } from '@nestjs/common';
import { inTransaction } from '@rollgate/event-store';
import { actionDecider, maintenanceWindowStatus, parseMaintenanceWindow, rolloutDecider, type ActionState } from '@rollgate/rollout-domain';
import { actionStream, groupStream, rolloutStream, soakAfter } from '@rollgate/scheduling-domain';
import { DomainError } from '@rollgate/shared-domain';
import type { Pool, PoolClient } from 'pg';
import type { SchedulerEngine } from '../engine/scheduler-engine';
import type { GroupProgressStore } from '../progress/group-progress.store';
import type { StreamWriter, WrittenEvent } from '../writes/stream-writer';
import type { Timer, TimerStore } from './timer.store';

const BATCH = 50;
/** A timer whose firing failed for an infrastructure reason is tried again this much later. */
const REFIRE_DELAY_MS = 5_000;

/**
 * Fires due timers from scheduler_timers. Each firing runs in the transaction that deletes the timer, so a
 * crash before commit leaves it due (it fires after the restart) and two instances never fire one twice.
 * Polls at most every `pollMs`; the timers themselves are the state, nothing is kept only in memory.
 */
export class TimerRunner {
  private readonly logger = new Logger('timers');
  private abort = new AbortController();
  private running: Promise<void> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly timers: TimerStore,
    private readonly writer: StreamWriter,
    private readonly progress: GroupProgressStore,
    private readonly engine: SchedulerEngine,
    private readonly options: { pollMs: number; clock?: () => number },
  ) {}

  async start(): Promise<void> {
    this.abort = new AbortController();
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }

  private async loop(): Promise<void> {
    while (!this.abort.signal.aborted) {
      let fired = 0;
      try {
        fired = await this.fireDue();
      } catch (error) {
        this.logger.warn(`firing timers failed: ${(error as Error).message}`);
      }
      if (fired < BATCH) await sleep(this.options.pollMs, this.abort.signal);
    }
  }

  /** Fires one batch of due timers; answers how many were taken. */
  async fireDue(): Promise<number> {
    return inTransaction(this.pool, async (tx) => {
      const due = await this.timers.takeDue(tx, this.now(), BATCH);
      for (const timer of due) await this.fireOne(tx, timer);
      return due.length;
    });
  }

  private async fireOne(tx: PoolClient, timer: Timer): Promise<void> {
    await tx.query('SAVEPOINT scheduler_timer');
    try {
      const written = await this.fire(tx, timer);
      await this.engine.react(tx, timer.tenant, written.map((w) => ({ streamId: w.streamId, type: w.event.type, data: w.event.data, own: true })));
      await tx.query('RELEASE SAVEPOINT scheduler_timer');
    } catch (error) {
      await tx.query('ROLLBACK TO SAVEPOINT scheduler_timer');
      if (error instanceof DomainError) {
        // The timer was overtaken (the action moved on, the rollout stopped): nothing left to do.
        this.logger.debug(`timer ${timer.timerId} not applied: ${error.code}`);
        return;
      }
      this.logger.warn(`timer ${timer.timerId} failed, retrying in ${REFIRE_DELAY_MS} ms: ${(error as Error).message}`);
      await this.timers.set(tx, { ...timer, dueAt: this.now() + REFIRE_DELAY_MS });
    }
  }

  private async fire(tx: PoolClient, timer: Timer): Promise<WrittenEvent[]> {
    const now = this.now();
    const { tenant, rolloutId } = timer;
    switch (timer.kind) {
      case 'start-at':
        return this.engine.execute(tx, tenant, [{ aggregate: 'rollout', streamId: rolloutStream(rolloutId), command: { type: 'start-rollout', by: 'group-scheduler', at: now } }]);
      case 'soak': {
        const groupId = String(timer.payload.groupId);
        const progress = await this.progress.get(tx, tenant, groupId);
        return this.engine.execute(tx, tenant, [{ aggregate: 'group', streamId: groupStream(groupId), command: { type: 'complete-group-soak', counters: progress?.counters, at: now } }]);
      }
      case 'pacing': {
        const rollout = await this.engine.loadRollout(tx, tenant, rolloutId);
        return rollout ? this.engine.releaseRunningGroups(tx, tenant, rollout, now) : [];
      }
      case 'deploy-timeout':
        await this.timeOut(tx, timer, now);
        return [];
      case 'offline-check':
        return this.queueOffline(tx, tenant, rolloutId, String(timer.payload.groupId), now);
      case 'dynamic-flush':
        return this.engine.flushDynamic(tx, tenant, rolloutId, now);
    }
  }

  /**
   * skip_and_queue (the seeds' offline_device_policy): released members never reached by now are queued;
   * the group is judged on the others at once. Checked again while members are still waiting, since pacing
   * releases more and queued devices may come back (they leave the queue when they do).
   */
  private async queueOffline(tx: PoolClient, tenant: string, rolloutId: string, groupId: string, now: number): Promise<WrittenEvent[]> {
    const progress = await this.progress.queueOffline(tx, tenant, groupId);
    const rollout = await this.engine.loadRollout(tx, tenant, rolloutId);
    if (!progress || !rollout || progress.phase === 'FINISHED' || progress.phase === 'ERROR') return [];
    if (progress.counters.scheduled > 0) {
      const group = await this.engine.loadGroup(tx, tenant, groupId);
      if (group) await this.engine.armOfflineCheck(tx, tenant, group);
    }
    const report = { type: 'report-group-progress' as const, counters: progress.counters, soakMs: soakAfter(rollout, progress.index), at: now };
    return this.engine.execute(tx, tenant, [{ aggregate: 'group', streamId: groupStream(groupId), command: report }]);
  }

  /**
   * Appends action-timed-out (event-flow step 10). The rollout's deployTimeoutMs is the authority: an
   * action created without a progress timeout of its own is judged by it.
   */
  private async timeOut(tx: PoolClient, timer: Timer, now: number): Promise<void> {
    const { tenant, rolloutId } = timer;
    const actionId = Number(timer.payload.actionId);
    const { state: rollout } = await this.writer.load(tx, tenant, rolloutStream(rolloutId), rolloutDecider);
    const timeoutMs = rollout.status === 'INITIAL' ? undefined : rollout.execution.deployTimeoutMs;
    const window = rollout.status === 'INITIAL' ? undefined : rollout.execution.maintenanceWindow;
    if (window && timeoutMs !== undefined) {
      // A device may install only inside its maintenance window: waiting for the window is not being stuck.
      const status = maintenanceWindowStatus(parseMaintenanceWindow(window), now);
      if (!status.available && status.nextStartsAt !== undefined) {
        await this.timers.set(tx, { ...timer, dueAt: status.nextStartsAt + timeoutMs });
        return;
      }
    }
    const withTimeout = {
      ...actionDecider,
      decide: (command: Parameters<typeof actionDecider.decide>[0], state: ActionState) =>
        actionDecider.decide(command, state.status === 'INITIAL' || state.progressTimeoutMs !== undefined ? state : { ...state, progressTimeoutMs: timeoutMs }),
    };
    await this.writer.execute(tx, tenant, 'action', actionStream(actionId), withTimeout, { type: 'time-out-action', at: now });
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
