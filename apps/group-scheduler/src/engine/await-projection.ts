import { checkpointName, loadCheckpoint, type Projection, type Queryable } from '@rollgate/event-store';
import type { Pool } from 'pg';

/**
 * Waits until a read model has applied the log up to the given event, so a decision read from it sees what
 * led to the decision. Answers false past the deadline: the caller goes on with what is there (a stalled
 * read model must not stall the scheduler), and says so.
 */
export async function awaitProjection(pool: Pool, projection: Pick<Projection, 'name'>, eventId: string, timeoutMs = 3_000): Promise<boolean> {
  const { rows } = await pool.query<{ tx: string; position: string }>(`SELECT transaction_id::text AS tx, position FROM events WHERE id = $1`, [eventId]);
  if (!rows[0]) return true;
  const target = { transactionId: BigInt(rows[0].tx), position: BigInt(rows[0].position) };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const reached = await loadCheckpoint(pool as Queryable, checkpointName(projection));
    if (reached.transactionId > target.transactionId || (reached.transactionId === target.transactionId && reached.position >= target.position)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}
