import type { Pool } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { LOG_HORIZON } from './log-horizon';
import type { Checkpoint, EventMetadata, StoredEvent } from './types';

/**
 * Reads the global log from `after` in log order with COPY … TO STDOUT, in batches, for bulk replays
 * (projection rebuilds). COPY streams rows without pg's per-row protocol parsing: about five times the
 * rows per second of paged SELECTs. Like readAll it stops below the oldest open transaction, so a rebuild
 * that then catches up with readAll misses nothing. A read-only COPY takes no transaction id, so it holds
 * no other reader back.
 */
export async function* readLogByCopy(pool: Pool, after: Checkpoint, batchSize = 5000): AsyncGenerator<StoredEvent[]> {
  const client = await pool.connect();
  try {
    const stream = client.query(
      copyTo(`COPY (
        SELECT position, transaction_id, id, tenant, stream_id, stream_version, type, data, metadata,
               (extract(epoch FROM recorded_at) * 1000)::bigint, encode(prev_hash, 'hex'), encode(hash, 'hex')
          FROM events
         WHERE (transaction_id, position) > ('${after.transactionId}'::xid8, ${after.position})
           AND transaction_id < ${LOG_HORIZON}
         ORDER BY transaction_id, position) TO STDOUT`),
    );
    let rest = '';
    let batch: StoredEvent[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        batch.push(parseRow(line));
        if (batch.length === batchSize) {
          yield batch;
          batch = [];
        }
      }
    }
    if (batch.length > 0) yield batch;
  } finally {
    client.release();
  }
}

function parseRow(line: string): StoredEvent {
  return new CopiedEvent(line.split('\t'));
}

/**
 * An event read by COPY. The payload, metadata and hashes are decoded on first use: a replay spends most
 * of its time decoding, and many projections never look at the payload.
 */
class CopiedEvent implements StoredEvent {
  readonly position: bigint;
  readonly transactionId: bigint;
  readonly id: string;
  readonly tenant: string;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly type: string;
  readonly recordedAt: Date;
  #fields: string[];
  #data: unknown;
  #metadata: EventMetadata | undefined;
  #dataDecoded = false;

  constructor(fields: string[]) {
    const [position, transactionId, id, tenant, streamId, version, type, , , recordedAtMs] = fields;
    this.position = BigInt(position);
    this.transactionId = BigInt(transactionId);
    this.id = id;
    this.tenant = unescapeCopy(tenant);
    this.streamId = unescapeCopy(streamId);
    this.streamVersion = Number(version);
    this.type = unescapeCopy(type);
    this.recordedAt = new Date(Number(recordedAtMs));
    this.#fields = fields;
  }

  get data(): unknown {
    if (!this.#dataDecoded) {
      this.#data = JSON.parse(unescapeCopy(this.#fields[7]));
      this.#dataDecoded = true;
    }
    return this.#data;
  }

  get metadata(): EventMetadata {
    this.#metadata ??= JSON.parse(unescapeCopy(this.#fields[8])) as EventMetadata;
    return this.#metadata;
  }

  get prevHash(): Buffer | null {
    const hex = this.#fields[10];
    return hex === '\\N' ? null : Buffer.from(hex, 'hex');
  }

  get hash(): Buffer {
    return Buffer.from(this.#fields[11], 'hex');
  }
}

const COPY_UNESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '\\': '\\' };

/** COPY TO's text format escapes backslash and these control characters, and nothing else. */
export function unescapeCopy(field: string): string {
  return field.includes('\\') ? field.replace(/\\(.)/g, (_, c: string) => COPY_UNESCAPES[c] ?? c) : field;
}

