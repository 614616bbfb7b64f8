import { applyBatch, checkpointName, ensureTables, isAfter, liveTables, loadCheckpoint, readLogPageLazily, tailLog, type Checkpoint, type EventStore, type Projection } from '@rollgate/event-store';
import type { Pool } from 'pg';

interface Member {
  projection: Projection;
  /** how far this projection has applied the log (its stored checkpoint) */
  checkpoint: Checkpoint | undefined;
  failure: unknown;
}

/**
 * Keeps several projections current from ONE tail of the log: one LISTEN connection and one reader for all of
 * them, where a ProjectionRunner each would hold a connection per projection (a planner runs a dozen, and
 * every test and instance multiplies that against PostgreSQL's connection limit). Each batch is applied to each
 * projection with the event store's `applyBatch` (concurrently, bounded by the pool): in its own transaction, under its own lock, with its own
 * checkpoint, so the checkpoints, rebuilds and several instances work exactly as with separate runners. A
 * projection whose apply fails stops (and is reported); the others go on.
 */
export class ProjectionGroupRunner {
  private readonly members: Member[];
  private abort = new AbortController();
  private running: Promise<void> | undefined;
  private tailFailure: unknown;

  constructor(
    private readonly pool: Pool,
    private readonly store: EventStore,
    projections: readonly Projection[],
    private readonly options: { idleMs?: number; batchSize?: number; /** where the log's pages are read; `pool` by default */ readPool?: Pool } = {},
  ) {
    this.members = projections.map((projection) => ({ projection, checkpoint: undefined, failure: undefined }));
  }

  get names(): string[] {
    return this.members.map((m) => m.projection.name);
  }

  async start(): Promise<void> {
    // One after the other: creating tables takes a connection and a lock each.
    for (const member of this.members) await ensureTables(this.pool, member.projection, liveTables);
    for (const member of this.members) member.checkpoint = await loadCheckpoint(this.pool, checkpointName(member.projection));
    const from = this.members.map((m) => m.checkpoint as Checkpoint).reduce((earliest, c) => (isAfter(earliest, c) ? c : earliest));
    this.abort = new AbortController();
    this.running = this.loop(from).catch((error: unknown) => {
      this.tailFailure = error;
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  /** Names of the projections that no longer follow the log (all of them when the tail itself failed). */
  stopped(): string[] {
    return this.members.filter((m) => m.failure !== undefined || this.tailFailure !== undefined).map((m) => m.projection.name);
  }

  /** The tail's failure or the first projection's, to surface to a writer waiting for its read models. */
  failureOf(): unknown {
    return this.tailFailure ?? this.members.find((m) => m.failure !== undefined)?.failure;
  }

  /** True once every projection has applied everything up to `target`. */
  reached(target: Checkpoint): boolean {
    return this.members.every((m) => m.checkpoint !== undefined && !isAfter(target, m.checkpoint));
  }

  /** Names of the projections still before `target`. */
  behind(target: Checkpoint): string[] {
    return this.members.filter((m) => m.checkpoint === undefined || isAfter(target, m.checkpoint)).map((m) => m.projection.name);
  }

  private async loop(from: Checkpoint): Promise<void> {
    // Events decoded on first use: most read models skip most events, and the membership chunks (hundreds of
    // KiB of ids each) are copied inside PostgreSQL, so their payloads are never parsed here. No read model
    // looks at the hash chain: pages come without it (two thirds of a small event's bytes besides its payload).
    const { readPool = this.pool, ...tailOptions } = this.options;
    const read = (after: Checkpoint, limit: number) => readLogPageLazily(readPool, after, limit, { hashes: false });
    for await (const batch of tailLog(this.pool, this.store, from, { ...tailOptions, read, signal: this.abort.signal })) {
      // Concurrently, as separate runners would: the pool's size bounds how many apply at once.
      await Promise.all(
        this.members
          .filter((member) => member.failure === undefined)
          .map(async (member) => {
            try {
              member.checkpoint = await applyBatch(this.pool, member.projection, batch, liveTables);
            } catch (error) {
              member.failure = error;
            }
          }),
      );
    }
  }
}
