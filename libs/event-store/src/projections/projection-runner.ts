import type { Pool, PoolClient } from 'pg';
import { loadCheckpoint, saveCheckpoint } from '../checkpoints';
import type { EventStore } from '../event-store';
import { tailLog } from '../log-tailer';
import { inTransaction } from '../transaction';
import { checkpointOf, isAfter, type Checkpoint, type StoredEvent } from '../types';
import { checkpointName, liveTables, projectionLockKey, type Projection, type TableNames } from './projection';

export interface ProjectionRunnerOptions {
  batchSize?: number;
  idleMs?: number;
  /** how a page of the log is read; EventStore.readAll by default (see TailOptions.read) */
  read?: (after: Checkpoint, limit: number) => Promise<StoredEvent[]>;
}

/**
 * Keeps one projection current: tails the log from the stored checkpoint and applies each batch in a
 * transaction that also advances the checkpoint. Several instances may run the same projection: the
 * per-projection lock and the re-read checkpoint make every event apply exactly once.
 */
export class ProjectionRunner {
  private abort = new AbortController();
  private running: Promise<void> | undefined;
  private lastCheckpoint: Checkpoint | undefined;
  private failure: unknown;

  constructor(
    private readonly pool: Pool,
    private readonly store: EventStore,
    readonly projection: Projection,
    private readonly options: ProjectionRunnerOptions = {},
  ) {}

  async start(): Promise<void> {
    await ensureTables(this.pool, this.projection, liveTables);
    const from = await loadCheckpoint(this.pool, checkpointName(this.projection));
    this.abort = new AbortController();
    this.running = this.loop(from).catch((error) => {
      this.failure = error;
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  /** For readiness: false once the loop has died. */
  get healthy(): boolean {
    return this.failure === undefined;
  }

  get checkpoint(): Checkpoint | undefined {
    return this.lastCheckpoint;
  }

  /** Resolves when every event committed before the call has been applied (tests and CLI use it). */
  async catchUp(timeoutMs = 30_000): Promise<void> {
    const target = await this.store.head();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const stored = await loadCheckpoint(this.pool, checkpointName(this.projection));
      if (!target || !isAfter(target, stored)) return;
      if (this.failure) throw this.failure;
      if (Date.now() > deadline) throw new Error(`projection ${this.projection.name} did not catch up within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private async loop(from: Checkpoint): Promise<void> {
    const batches = tailLog(this.pool, this.store, from, { ...this.options, signal: this.abort.signal });
    for await (const batch of batches) {
      this.lastCheckpoint = await applyBatch(this.pool, this.projection, batch, liveTables);
    }
  }
}

/**
 * Applies the part of `batch` that is past the stored checkpoint, in one transaction with the checkpoint.
 * The stored checkpoint is read under the projection's lock, so a batch already applied by another instance
 * (or overtaken by a rebuild) is skipped rather than applied twice.
 */
export async function applyBatch(pool: Pool, projection: Projection, batch: StoredEvent[], tables: TableNames, name = checkpointName(projection)): Promise<Checkpoint> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [projectionLockKey(projection)]);
    const stored = await loadCheckpoint(client, name);
    const fresh = batch.filter((event) => isAfter(event, stored));
    if (fresh.length === 0) return stored;
    await projection.apply(client, fresh, tables);
    const reached = checkpointOf(fresh[fresh.length - 1]);
    await saveCheckpoint(client, name, reached);
    return reached;
  });
}

export async function ensureTables(pool: Pool, projection: Projection, tables: TableNames): Promise<void> {
  const existing = await pool.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = current_schema() AND tablename = ANY($1)`, [projection.tables.map(tables)]);
  if (existing.rows[0].n === projection.tables.length) return;
  await inTransaction(pool, async (client) => {
    // Several instances may start at once: the lock and the second look let exactly one create the tables.
    await client.query('SELECT pg_advisory_xact_lock($1)', [projectionLockKey(projection)]);
    const again = await client.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = current_schema() AND tablename = ANY($1)`, [projection.tables.map(tables)]);
    const found = again.rows[0].n as number;
    if (found === 0) await projection.createTables(client, tables);
    // Some of its tables but not all: the read model changed shape since this database was filled. Say so,
    // rather than fail later on a missing table in the middle of a request.
    else if (found < projection.tables.length) {
      throw new Error(`read model ${projection.name} has ${found} of its ${projection.tables.length} tables: its shape changed in this version of Rollgate; rebuild it from the log with \`rollgate projections rebuild ${projection.name}\``);
    }
  });
}

export async function withClient<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await work(client);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
