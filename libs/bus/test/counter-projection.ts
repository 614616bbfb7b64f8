import type { Pool } from 'pg';
import type { EventHandler } from '../src';

/**
 * A small real read model for the crash tests: per-stream counters, written in the handler's transaction.
 * Any event applied twice or lost shows up in `events` or `version_sum`.
 */
export async function createCounterTable(pool: Pool): Promise<void> {
  await pool.query(`
    CREATE TABLE IF NOT EXISTS stream_counters (
      consumer     text    NOT NULL,
      stream_id    text    NOT NULL,
      events       integer NOT NULL,
      version_sum  bigint  NOT NULL,
      last_version integer NOT NULL,
      PRIMARY KEY (consumer, stream_id)
    )`);
}

export const countEvent: EventHandler = async (event, { tx, consumer }) => {
  await tx.query(
    `INSERT INTO stream_counters (consumer, stream_id, events, version_sum, last_version) VALUES ($1, $2, 1, $3::int, $3::int)
     ON CONFLICT (consumer, stream_id) DO UPDATE
       SET events = stream_counters.events + 1,
           version_sum = stream_counters.version_sum + EXCLUDED.version_sum,
           last_version = greatest(stream_counters.last_version, EXCLUDED.last_version)`,
    [consumer, event.streamid, event.streamversion],
  );
};

export interface CounterRow {
  stream_id: string;
  events: number;
  version_sum: string;
  last_version: number;
}

export async function counterSnapshot(pool: Pool, consumer: string): Promise<CounterRow[]> {
  const { rows } = await pool.query<CounterRow>('SELECT stream_id, events, version_sum, last_version FROM stream_counters WHERE consumer = $1 ORDER BY stream_id', [consumer]);
  return rows;
}
