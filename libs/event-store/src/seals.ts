import type { PoolClient } from 'pg';
import { SealHasher } from './hash-chain';
import { checkpointOf, LOG_START, type Checkpoint, type StoredEvent } from './types';

/** Serialises sealing: seals form one chain, so two writers must never both extend the same seal. */
const SEAL_LOCK_KEY = 7_320_002;

export interface Seal {
  sealNo: bigint;
  after: Checkpoint;
  last: Checkpoint;
  eventCount: number;
  prevHash: Buffer | null;
  hash: Buffer;
}

/**
 * Seals a batch of consecutive log events (as read by a log reader, in log order) onto the seal chain, in
 * the caller's transaction. A batch that starts at or before the last seal's end is a replay of sealed events
 * (a relay restarting from an older checkpoint) and only its unsealed tail is sealed.
 */
export async function sealBatch(client: PoolClient, batch: ReadonlyArray<Pick<StoredEvent, 'transactionId' | 'position' | 'hash'>>): Promise<Seal | undefined> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [SEAL_LOCK_KEY]);
  const previous = await lastSeal(client);
  const after = previous ? previous.last : LOG_START;
  const unsealed = batch.filter((e) => e.transactionId > after.transactionId || (e.transactionId === after.transactionId && e.position > after.position));
  if (unsealed.length === 0) return undefined;
  const hasher = new SealHasher(previous?.hash ?? null);
  for (const event of unsealed) hasher.add(event.position, event.hash);
  const last = checkpointOf(unsealed[unsealed.length - 1]);
  const hash = hasher.digest();
  const { rows } = await client.query(
    `INSERT INTO event_seals (after_tx, after_position, last_tx, last_position, event_count, prev_hash, hash)
     VALUES ($1::text::xid8, $2, $3::text::xid8, $4, $5, $6, $7) RETURNING seal_no`,
    [after.transactionId.toString(), after.position.toString(), last.transactionId.toString(), last.position.toString(), unsealed.length, previous?.hash ?? null, hash],
  );
  return { sealNo: BigInt(rows[0].seal_no), after, last, eventCount: unsealed.length, prevHash: previous?.hash ?? null, hash };
}

export async function lastSeal(db: Pick<PoolClient, 'query'>): Promise<Seal | undefined> {
  const { rows } = await db.query(`SELECT ${SEAL_COLUMNS} FROM event_seals ORDER BY seal_no DESC LIMIT 1`);
  return rows.length ? toSeal(rows[0]) : undefined;
}

export async function allSeals(db: Pick<PoolClient, 'query'>): Promise<Seal[]> {
  const { rows } = await db.query(`SELECT ${SEAL_COLUMNS} FROM event_seals ORDER BY seal_no`);
  return rows.map(toSeal);
}

const SEAL_COLUMNS = `seal_no, after_tx::text AS after_tx, after_position, last_tx::text AS last_tx, last_position, event_count, prev_hash, hash`;

function toSeal(row: Record<string, string | number | Buffer | null>): Seal {
  return {
    sealNo: BigInt(row.seal_no as string),
    after: { transactionId: BigInt(row.after_tx as string), position: BigInt(row.after_position as string) },
    last: { transactionId: BigInt(row.last_tx as string), position: BigInt(row.last_position as string) },
    eventCount: row.event_count as number,
    prevHash: row.prev_hash as Buffer | null,
    hash: row.hash as Buffer,
  };
}
