import type { Pool } from 'pg';
import { loadCheckpoint, saveCheckpoint } from '../checkpoints';
import type { EventStore } from '../event-store';
import { checkpointOf, LOG_START } from '../types';
import { readLogByCopy } from '../copy-reader';
import { inTransaction } from '../transaction';
import { applyBatch } from './projection-runner';
import { checkpointName, projectionLockKey, rebuildTables, type Projection } from './projection';

export interface RebuildResult {
  projection: string;
  eventsReplayed: number;
  millis: number;
}

/**
 * Replays the whole log into fresh tables while the live projection keeps serving, then swaps them in:
 * under the projection's lock it applies the last events, renames live tables away, renames the fresh ones
 * into place and moves the checkpoint, all in one transaction. Readers see the old or the new tables, never
 * a half-built one.
 */
export async function rebuildProjection(pool: Pool, store: EventStore, projection: Projection, batchSize = 20_000): Promise<RebuildResult> {
  const started = Date.now();
  const shadowCheckpoint = `${checkpointName(projection)}:rebuild`;
  await inTransaction(pool, async (client) => {
    for (const table of projection.tables) await client.query(`DROP TABLE IF EXISTS "${rebuildTables(table)}"`);
    await projection.createTables(client, rebuildTables);
    await saveCheckpoint(client, shadowCheckpoint, LOG_START);
  });

  // The bulk of the log streams in with COPY; the next batch is read while the current one is applied (on
  // another connection), so a rebuild runs at about the speed of the slower of the two.
  let eventsReplayed = 0;
  const batches = readLogByCopy(pool, LOG_START, batchSize);
  let next = batches.next();
  for (;;) {
    const { value: batch, done } = await next;
    if (done) break;
    next = batches.next();
    await applyBatch(pool, projection, batch, rebuildTables, shadowCheckpoint);
    eventsReplayed += batch.length;
  }

  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [projectionLockKey(projection)]);
    let position = await loadCheckpoint(client, shadowCheckpoint);
    for (;;) {
      const batch = await store.readAll(position, batchSize, client);
      if (batch.length === 0) break;
      await projection.apply(client, batch, rebuildTables);
      position = checkpointOf(batch[batch.length - 1]);
      eventsReplayed += batch.length;
    }
    for (const table of projection.tables) {
      await client.query(`DROP TABLE IF EXISTS "${table}"`);
      await client.query(`ALTER TABLE "${rebuildTables(table)}" RENAME TO "${table}"`);
    }
    await saveCheckpoint(client, checkpointName(projection), position);
    await client.query(`DELETE FROM log_checkpoints WHERE name = $1`, [shadowCheckpoint]);
  });
  return { projection: projection.name, eventsReplayed, millis: Date.now() - started };
}
