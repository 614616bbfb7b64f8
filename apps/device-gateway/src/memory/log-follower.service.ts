import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { EventStore, isAfter, LOG_START, readLogPageLazily, tailLog, type Checkpoint, type StoredEvent } from '@rollgate/event-store';
import { PG_POOL, ReadinessService } from '@rollgate/service-kit';
import type { Pool } from 'pg';
import { GatewayMemory } from './gateway-memory';

const RETRY_AFTER_FAILURE_MS = 1_000;

/**
 * Keeps the gateway's memory current: every instance tails the whole log itself (so several gateways side
 * by side each see every event, in log order), from the start on boot, so memory is rebuilt without any
 * snapshot. The HTTP port opens only after memory has caught up with the log as it was at boot.
 */
@Injectable()
export class LogFollower implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('log-follower');
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private checkpoint: Checkpoint = LOG_START;
  private healthy = false;
  private applied = 0;
  /** memory has caught up with the log as it was at boot */
  private rebuilt = false;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(EventStore) private readonly store: EventStore,
    @Inject(GatewayMemory) private readonly memory: GatewayMemory,
    @Inject(ReadinessService) readiness: ReadinessService,
  ) {
    readiness.addCheck('memory', () => {
      if (!this.healthy) throw new Error('not following the log');
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const head = await this.store.head();
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      const caughtUp = (): boolean => head === undefined || !isAfter(head, this.checkpoint);
      this.running = this.follow(() => {
        if (caughtUp()) resolve();
      }).catch(reject);
      if (caughtUp()) resolve();
    });
    this.rebuilt = true;
    this.logger.log(`memory rebuilt from ${this.applied} events in ${Date.now() - started} ms`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  /** The position up to which memory reflects the log (tests wait on it). */
  get position(): Checkpoint {
    return this.checkpoint;
  }

  private async follow(afterBatch: () => void): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        this.healthy = true;
        for await (const batch of tailLog<StoredEvent>(this.pool, this.store, this.checkpoint, { batchSize: 5_000, idleMs: 100, signal: this.abort.signal, read: (after, limit) => this.readPage(after, limit) })) {
          for (const event of batch) this.applyOne(event);
          this.checkpoint = { transactionId: batch[batch.length - 1].transactionId, position: batch[batch.length - 1].position };
          afterBatch();
        }
      } catch (error) {
        this.healthy = false;
        if (this.abort.signal.aborted) return;
        this.logger.warn(`tailing the log failed, retrying: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_FAILURE_MS));
      }
    }
  }

  /**
   * Pages are decoded lazily and without the hash chain, which memory never looks at. Once memory has caught
   * up with the log, most events tailed are the gateway's own appends, already applied as they committed:
   * their payloads are not even read (a second query reads the others', when there are any). While memory is
   * rebuilt, every event is new to it, and pages come whole.
   */
  private readPage(after: Checkpoint, limit: number): Promise<StoredEvent[]> {
    const payloads = this.rebuilt ? (event: StoredEvent) => !this.memory.applied(event) : undefined;
    return readLogPageLazily(this.pool, after, limit, { hashes: false, payloads });
  }

  private applyOne(event: StoredEvent): void {
    try {
      this.memory.apply(event);
      this.applied += 1;
    } catch (error) {
      // One event the gateway cannot read must not stop every device's updates: note it and go on.
      this.logger.error(`event ${event.id} (${event.type} on ${event.streamId}) not applied: ${(error as Error).message}`);
    }
  }
}
