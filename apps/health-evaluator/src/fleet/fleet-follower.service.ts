import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { parseEventType } from '@rollgate/contracts';
import { EventStore, isAfter, LOG_START, tailLog, type Checkpoint, type StoredEvent } from '@rollgate/event-store';
import { FleetRegistry, type TimeWindow } from '@rollgate/health-domain';
import { PG_POOL, ReadinessService } from '@rollgate/service-kit';
import type { Pool } from 'pg';

const RETRY_AFTER_FAILURE_MS = 1_000;
/** The events handlers wait for (rare ones: the memory below holds thousands of rollouts' worth). */
const AWAITED_EVENTS = new Set(['rollout-starting', 'rollout-started', 'group-gate-requested'].map((e) => `io.rollgate.rollout.${e}.v1`));
/** How many recent event ids are remembered for handlers waiting on the follower (bounded memory). */
const SEEN_MEMORY = 10_000;

/**
 * Keeps the fleet registry (which device is in which group, on which action, installed or failed; target
 * versions; device types from attributes) current by tailing the whole log from the start, like the
 * gateway's memory: nothing per device is stored by the evaluator. Handlers reacting to bus events wait
 * until the follower has applied the same event, so a verdict never looks at a registry older than its
 * request.
 */
@Injectable()
export class FleetFollower implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly registry = new FleetRegistry();
  private readonly logger = new Logger('fleet-follower');
  private readonly abort = new AbortController();
  private readonly seen = new Set<string>();
  private readonly waiters = new Map<string, Array<() => void>>();
  private running: Promise<void> | undefined;
  private checkpoint: Checkpoint = LOG_START;
  private healthy = false;
  applied = 0;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(EventStore) private readonly store: EventStore,
    @Inject(ReadinessService) readiness: ReadinessService,
  ) {
    readiness.addCheck('fleet', () => {
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
    this.logger.log(`fleet rebuilt from ${this.applied} events in ${Date.now() - started} ms`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  get position(): Checkpoint {
    return this.checkpoint;
  }

  /** A device's marked incident windows (see FleetRegistry), to leave out of later baselines. */
  incidentWindows(tenant: string, controllerId: string): TimeWindow[] {
    return this.registry.incidentWindows(tenant, controllerId);
  }

  /** Resolves once the follower applied the event with this id; rejects after the timeout (the caller retries). */
  waitFor(eventId: string, timeoutMs: number): Promise<void> {
    if (this.seen.has(eventId)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.set(eventId, (this.waiters.get(eventId) ?? []).filter((w) => w !== done));
        reject(new Error(`the fleet registry has not reached event ${eventId} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.set(eventId, [...(this.waiters.get(eventId) ?? []), done]);
    });
  }

  private async follow(afterBatch: () => void): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        this.healthy = true;
        for await (const batch of tailLog<StoredEvent>(this.pool, this.store, this.checkpoint, { batchSize: 5_000, idleMs: 100, signal: this.abort.signal })) {
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

  private applyOne(event: StoredEvent): void {
    try {
      const { event: name } = parseEventType(event.type);
      const data = (event.data ?? {}) as Record<string, unknown>;
      this.registry.apply({ tenant: event.tenant, streamId: event.streamId, event: name, data });
      this.applied += 1;
    } catch (error) {
      // One unreadable event must not stop every rollout's evaluation: note it and go on.
      this.logger.error(`event ${event.id} (${event.type} on ${event.streamId}) not applied: ${(error as Error).message}`);
    }
    if (AWAITED_EVENTS.has(event.type)) this.markSeen(event.id);
  }

  private markSeen(eventId: string): void {
    this.seen.add(eventId);
    if (this.seen.size > SEEN_MEMORY) this.seen.delete(this.seen.values().next().value as string);
    const waiting = this.waiters.get(eventId);
    if (waiting) {
      this.waiters.delete(eventId);
      waiting.forEach((w) => w());
    }
  }
}
