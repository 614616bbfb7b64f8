import type { Queryable } from '@rollgate/event-store';

/** A message a consumer gave up on, as an operator sees it. */
export interface DeadLetter {
  id: string;
  consumer: string;
  subject: string;
  streamSequence: number;
  /** null when the message was not a readable CloudEvent */
  eventId: string | null;
  eventType: string | null;
  payload: Buffer;
  error: string;
  /** deliveries made before giving up */
  deliveries: number;
  createdAt: Date;
  replayedAt: Date | null;
  /** why the last replay failed; cleared by a successful one */
  replayError: string | null;
}

export interface NewDeadLetter {
  consumer: string;
  subject: string;
  streamSequence: number;
  eventId?: string;
  eventType?: string;
  payload: Uint8Array;
  error: string;
  deliveries: number;
}

const COLUMNS = `id::text AS id, consumer, subject, stream_sequence, event_id, event_type, payload, error, deliveries, created_at, replayed_at, replay_error`;

export async function insertDeadLetter(db: Queryable, letter: NewDeadLetter): Promise<string> {
  const { rows } = await db.query(
    `INSERT INTO dead_letters (consumer, subject, stream_sequence, event_id, event_type, payload, error, deliveries)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id::text AS id`,
    [letter.consumer, letter.subject, letter.streamSequence, letter.eventId ?? null, letter.eventType ?? null, Buffer.from(letter.payload), letter.error, letter.deliveries],
  );
  return rows[0].id;
}

/** A consumer's dead letters, oldest first; replayed ones only when asked for. */
export async function listDeadLetters(db: Queryable, consumer: string, limit: number, includeReplayed: boolean): Promise<DeadLetter[]> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM dead_letters
      WHERE consumer = $1 AND ($2 OR replayed_at IS NULL)
      ORDER BY id LIMIT $3`,
    [consumer, includeReplayed, limit],
  );
  return rows.map(toDeadLetter);
}

/** Loads and row-locks one dead letter, so that two operators replaying it at once apply it once. */
export async function lockDeadLetter(db: Queryable, consumer: string, id: string): Promise<DeadLetter | undefined> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM dead_letters WHERE id = $1 AND consumer = $2 FOR UPDATE`, [id, consumer]);
  return rows.length ? toDeadLetter(rows[0]) : undefined;
}

export async function markReplayed(db: Queryable, id: string): Promise<void> {
  await db.query(`UPDATE dead_letters SET replayed_at = now(), replay_error = NULL WHERE id = $1`, [id]);
}

export async function markReplayFailed(db: Queryable, id: string, error: string): Promise<void> {
  await db.query(`UPDATE dead_letters SET replay_error = $2 WHERE id = $1`, [id, error]);
}

interface DeadLetterRow {
  id: string;
  consumer: string;
  subject: string;
  stream_sequence: string;
  event_id: string | null;
  event_type: string | null;
  payload: Buffer;
  error: string;
  deliveries: number;
  created_at: Date;
  replayed_at: Date | null;
  replay_error: string | null;
}

function toDeadLetter(row: DeadLetterRow): DeadLetter {
  return {
    id: row.id,
    consumer: row.consumer,
    subject: row.subject,
    streamSequence: Number(row.stream_sequence),
    eventId: row.event_id,
    eventType: row.event_type,
    payload: row.payload,
    error: row.error,
    deliveries: row.deliveries,
    createdAt: row.created_at,
    replayedAt: row.replayed_at,
    replayError: row.replay_error,
  };
}
