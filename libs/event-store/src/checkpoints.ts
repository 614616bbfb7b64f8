import type { Queryable } from './event-store';
import { LOG_START, type Checkpoint } from './types';

/** Where a named log reader (the relay, a projection) has got to; LOG_START when it never ran. */
export async function loadCheckpoint(db: Queryable, name: string, options: { forUpdate?: boolean } = {}): Promise<Checkpoint> {
  const { rows } = await db.query(
    `SELECT transaction_id::text AS tx, position FROM log_checkpoints WHERE name = $1 ${options.forUpdate ? 'FOR UPDATE' : ''}`,
    [name],
  );
  return rows.length === 0 ? LOG_START : { transactionId: BigInt(rows[0].tx), position: BigInt(rows[0].position) };
}

/** Saves a reader's checkpoint; call it in the same transaction as the reader's own writes. */
export async function saveCheckpoint(db: Queryable, name: string, checkpoint: Checkpoint): Promise<void> {
  await db.query(
    `INSERT INTO log_checkpoints (name, transaction_id, position, updated_at) VALUES ($1, $2::text::xid8, $3, now())
     ON CONFLICT (name) DO UPDATE SET transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position, updated_at = now()`,
    [name, checkpoint.transactionId.toString(), checkpoint.position.toString()],
  );
}
