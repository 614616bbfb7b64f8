import { types, type CustomTypesConfig } from 'pg';
import type { Queryable } from './event-store';
import type { Checkpoint, EventMetadata, StoredEvent } from './types';

/** Every column comes back as PostgreSQL's text: LazyEvent decodes what a reader actually touches. */
const RAW_TEXT_TYPES: CustomTypesConfig = { getTypeParser: () => (value: string) => value };

const TIMESTAMPTZ_OID = 1184;
const BYTEA_OID = 17;

/**
 * EventStore.readAll's page (the same rows, in the same order: see there for why a reader that resumes from
 * its last event never skips one), its events decoded on first use (LazyEvent): for log readers that tail
 * everything and look closely at a few event types only.
 */
export async function readLogPageLazily(db: Queryable, after: Checkpoint, limit: number): Promise<StoredEvent[]> {
  const { rows } = await db.query<RawEventRow>({
    text: `SELECT position, transaction_id, id, tenant, stream_id, stream_version, type, data, metadata, recorded_at, prev_hash, hash
             FROM events WHERE (transaction_id, position) > ($1::text::xid8, $2::bigint) AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY transaction_id, position LIMIT $3`,
    values: [after.transactionId.toString(), after.position.toString(), limit],
    types: RAW_TEXT_TYPES,
  });
  return rows.map(LazyEvent.of);
}

/** A row of the events table with every column as text (see RAW_TEXT_TYPES). */
interface RawEventRow {
  position: string;
  transaction_id: string;
  id: string;
  tenant: string;
  stream_id: string;
  stream_version: string;
  type: string;
  data: string;
  metadata: string;
  recorded_at: string;
  prev_hash: string | null;
  hash: string;
}

/**
 * A log event whose payload, metadata, time and hashes are decoded on first use, with pg's own parsers.
 * A log reader that tails every event spends most of its CPU decoding rows, and most readers look at the
 * payload of a few event types only and never at the hashes.
 */
export class LazyEvent implements StoredEvent {
  #data: unknown;
  #dataDecoded = false;
  #metadata: EventMetadata | undefined;
  #recordedAt: Date | undefined;

  private constructor(
    readonly position: bigint,
    readonly transactionId: bigint,
    readonly id: string,
    readonly tenant: string,
    readonly streamId: string,
    readonly streamVersion: number,
    readonly type: string,
    private readonly row: RawEventRow,
  ) {}

  static of(row: RawEventRow): LazyEvent {
    return new LazyEvent(BigInt(row.position), BigInt(row.transaction_id), row.id, row.tenant, row.stream_id, Number(row.stream_version), row.type, row);
  }

  get data(): unknown {
    if (!this.#dataDecoded) {
      this.#data = JSON.parse(this.row.data);
      this.#dataDecoded = true;
    }
    return this.#data;
  }

  get metadata(): EventMetadata {
    this.#metadata ??= JSON.parse(this.row.metadata) as EventMetadata;
    return this.#metadata;
  }

  get recordedAt(): Date {
    this.#recordedAt ??= types.getTypeParser(TIMESTAMPTZ_OID)(this.row.recorded_at) as Date;
    return this.#recordedAt;
  }

  get prevHash(): Buffer | null {
    return this.row.prev_hash === null ? null : (types.getTypeParser(BYTEA_OID)(this.row.prev_hash) as Buffer);
  }

  get hash(): Buffer {
    return types.getTypeParser(BYTEA_OID)(this.row.hash) as Buffer;
  }
}
