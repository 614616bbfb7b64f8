import type { NatsConnection } from '@nats-io/nats-core';
import type { Pool } from 'pg';
import type { BusNames } from '@rollgate/contracts';
import { checkpointOf, EventStore, inTransaction, loadCheckpoint, saveCheckpoint, sealBatch, tailLog, type Checkpoint, type RelayRecord } from '@rollgate/event-store';
import { InfrastructureError } from '@rollgate/shared-domain';
import { abortableSleep } from './abortable-sleep';
import { AdvisoryLease } from './advisory-lease';
import { errorFields, STDERR_LOGGER, type BusLogger } from './bus-logger';
import { RelayPublisher } from './relay-publisher';

/** One relay per database: the advisory lock every relay instance competes for. */
export const RELAY_LOCK_KEY = 7_320_003;
export const RELAY_CHECKPOINT = 'relay';

export interface EventRelayOptions {
  /** needs up to 4 connections while leading: the lock, the tailer's LISTEN, a read-ahead and a commit */
  pool: Pool;
  nc: NatsConnection;
  names: BusNames;
  /** events per log read and per publish pipeline; default 2000 */
  batchSize?: number;
  /** longest wait for new events when the log is idle; default 200 ms (appends wake the tailer sooner) */
  idleMs?: number;
  /** how often a standby retries the leader lock; default 3000 ms */
  standbyRetryMs?: number;
  /** first delay before a failed batch is published again; doubles up to 5 s */
  retryDelayMs?: number;
  logger?: BusLogger;
}

export interface RelayStats {
  batches: number;
  /** events JetStream newly stored */
  stored: number;
  /** events JetStream already had (republished after a crash) */
  duplicates: number;
  checkpoint: Checkpoint | undefined;
}

/**
 * Publishes the event log to JetStream, in log order, gap-free, with `Nats-Msg-Id` = event id.
 *
 * Every service instance may run one: they compete for a session advisory lock and only the holder relays,
 * the others retry every few seconds. The leader loops: tail the log from the `relay` checkpoint; publish a
 * batch (all in flight, all acknowledged); then seal the batch and move the checkpoint in one transaction.
 * The checkpoint only moves past events JetStream has stored, so a crash at any point republishes at most the
 * batch in flight, which JetStream drops as duplicates (2-minute window) and consumers drop by event id.
 */
export class EventRelay {
  private readonly store: EventStore;
  private publisher: RelayPublisher | undefined;
  private readonly logger: BusLogger;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private leading = false;
  private readonly counters: RelayStats = { batches: 0, stored: 0, duplicates: 0, checkpoint: undefined };

  constructor(private readonly options: EventRelayOptions) {
    this.store = new EventStore(options.pool);
    this.logger = options.logger ?? STDERR_LOGGER;
  }

  /** Starts competing for leadership and relaying; returns at once (a standby is running, too). */
  async start(): Promise<void> {
    if (this.loop) return;
    this.abort = new AbortController();
    this.publisher = new RelayPublisher(this.options.nc, this.options.names);
    const signal = this.abort.signal;
    this.loop = this.run(signal);
  }

  /** Finishes the batch in flight (publish and commit), releases the lock, and returns. */
  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    await this.publisher?.close();
    this.publisher = undefined;
    this.loop = undefined;
    this.abort = undefined;
  }

  /** started and not stopped (leader or standby): for /readyz */
  get running(): boolean {
    return this.loop !== undefined;
  }

  /** this instance holds the lock and is the one relaying */
  get isLeader(): boolean {
    return this.leading;
  }

  get stats(): RelayStats {
    return { ...this.counters };
  }

  private async run(signal: AbortSignal): Promise<void> {
    const standbyRetryMs = this.options.standbyRetryMs ?? 3000;
    while (!signal.aborted) {
      let lease: AdvisoryLease | undefined;
      try {
        lease = await AdvisoryLease.tryAcquire(this.options.pool, RELAY_LOCK_KEY);
      } catch (error) {
        this.logger.warn({ ...errorFields(error) }, 'relay could not reach PostgreSQL for the leader lock');
      }
      if (!lease) {
        await abortableSleep(standbyRetryMs, signal);
        continue;
      }
      await this.lead(lease, signal);
    }
  }

  private async lead(lease: AdvisoryLease, stopSignal: AbortSignal): Promise<void> {
    this.leading = true;
    this.logger.info({}, 'relay is the leader');
    const signal = AbortSignal.any([stopSignal, lease.lost]);
    try {
      await this.relayWhileLeading(lease, signal);
    } catch (error) {
      if (!stopSignal.aborted) {
        this.logger.error({ ...errorFields(error) }, 'relay failed; restarting from the saved checkpoint');
        await abortableSleep(this.options.retryDelayMs ?? 1000, stopSignal);
      }
    } finally {
      this.leading = false;
      await lease.release();
    }
  }

  /**
   * Three stages overlap for throughput while order is kept: the tailer reads batch n+1 while batch n is
   * being published, and batch n is committed while batch n+1 is being published. Batch n+1 is sent only
   * after every event of batch n is acknowledged, so a retried batch can never land behind its successor;
   * commits run strictly one after the other because each seal chains to the previous one.
   */
  private async relayWhileLeading(lease: AdvisoryLease, signal: AbortSignal): Promise<void> {
    const from = await loadCheckpoint(this.options.pool, RELAY_CHECKPOINT);
    const batches = tailLog<RelayRecord>(this.options.pool, this.store, from, {
      read: (after, limit) => this.store.readCloudEvents(after, limit),
      batchSize: this.options.batchSize ?? 2000,
      idleMs: this.options.idleMs ?? 200,
      signal,
    });
    let pendingCommit: Promise<void> | undefined;
    let next = batches.next();
    try {
      for (;;) {
        const { value: batch, done } = await next;
        if (done) break;
        next = batches.next();
        await this.publishUntilStored(batch, signal);
        if (pendingCommit) await pendingCommit;
        pendingCommit = this.commit(batch, lease);
        // Failures surface at the next await; this only keeps a rejection from being reported as unhandled.
        pendingCommit.catch(() => undefined);
      }
    } finally {
      // The read-ahead may still be running; its batch is simply not relayed (the checkpoint is before it).
      next.catch(() => undefined);
      await batches.return(undefined).catch(() => undefined);
      if (pendingCommit) await pendingCommit;
    }
  }

  /** Publishes a batch until JetStream has stored all of it. Stops retrying (and throws) when aborted. */
  private async publishUntilStored(batch: RelayRecord[], signal: AbortSignal): Promise<void> {
    let delayMs = this.options.retryDelayMs ?? 1000;
    for (;;) {
      try {
        if (!this.publisher) throw new InfrastructureError('relay_stopped', 'the relay is not running', undefined);
        const { stored, duplicates } = await this.publisher.publish(batch);
        this.counters.stored += stored;
        this.counters.duplicates += duplicates;
        return;
      } catch (error) {
        this.logger.warn({ ...errorFields(error), events: batch.length, firstPosition: batch[0].position.toString() }, 'relay publish failed; retrying the batch');
        if (signal.aborted) throw new InfrastructureError('relay_aborted', 'relay stopped before the batch was stored', error);
        await abortableSleep(delayMs, signal);
        delayMs = Math.min(delayMs * 2, 5000);
      }
    }
  }

  /** Seal and checkpoint in one transaction, fenced by the lease: a deposed leader must not move them. */
  private async commit(batch: RelayRecord[], lease: AdvisoryLease): Promise<void> {
    const last = checkpointOf(batch[batch.length - 1]);
    await inTransaction(this.options.pool, async (client) => {
      if (!(await lease.isHeld(client))) throw new InfrastructureError('relay_lock_lost', 'relay lost its leader lock', undefined);
      await sealBatch(client, batch);
      await saveCheckpoint(client, RELAY_CHECKPOINT, last);
    });
    this.counters.batches += 1;
    this.counters.checkpoint = last;
  }

}
