import { types, type CustomTypesConfig } from 'pg';
import type { Queryable } from './event-store';
import type { Checkpoint, EventMetadata, StoredEvent } from './types';

/** Every column comes back as PostgreSQL's text: LazyEvent decodes what a reader actually touches. */
const RAW_TEXT_TYPES: CustomTypesConfig = { getTypeParser: () => (value: string) => value };

const TIMESTAMPTZ_OID = 1184;
const BYTEA_OID = 17;

export interface LazyPageOptions {
  /**
   * false: leave out `hash` and `prev_hash` (two thirds of a small event's bytes besides its payload) for a
   * reader that never looks at the chain; such an event's `hash` and `prevHash` throw, so a reader that does
   * need them learns so at once.
   */
  hashes?: boolean;
}

/**
 * EventStore.readAll's page (the same rows, in the same order: see there for why a reader that resumes from
 * its last event never skips one), its events decoded on first use (LazyEvent): for log readers that tail
 * everything and look closely at a few event types only. Rows come as arrays, not objects of twelve
 * properties: decoding pages is most of what tailing the log costs such a reader.
 */
export async function readLogPageLazily(db: Queryable, after: Checkpoint, limit: number, options: LazyPageOptions = {}): Promise<StoredEvent[]> {
  const hashes = options.hashes ?? true;
  const { rows } = await db.query<RawEventRow>({
    text: `SELECT position, transaction_id, id, tenant, stream_id, stream_version, type, data, metadata, recorded_at${hashes ? ', prev_hash, hash' : ''}
             FROM events WHERE (transaction_id, position) > ($1::text::xid8, $2::bigint) AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY transaction_id, position LIMIT $3`,
    values: [after.transactionId.toString(), after.position.toString(), limit],
    types: RAW_TEXT_TYPES,
    rowMode: 'array',
  });
  const events: StoredEvent[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) events[i] = new LazyEvent(rows[i], hashes);
  return events;
}

/** A row of the events table with every column as text (see RAW_TEXT_TYPES), in the order of the SELECT. */
type RawEventRow = Array<string | null>;

const enum Col {
  Position,
  TransactionId,
  Id,
  Tenant,
  StreamId,
  StreamVersion,
  Type,
  Data,
  Metadata,
  RecordedAt,
  PrevHash,
  Hash,
}

/**
 * A log event whose payload, metadata, time and hashes are decoded on first use, with pg's own parsers.
 * A log reader that tails every event spends most of its CPU decoding rows, and most readers look at the
 * payload of a few event types only and never at the hashes.
 */
export class LazyEvent implements StoredEvent {
  readonly position: bigint;
  readonly transactionId: bigint;
  readonly id: string;
  readonly tenant: string;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly type: string;
  #data: unknown;
  #dataDecoded = false;
  #metadata: EventMetadata | undefined;
  #recordedAt: Date | undefined;

  constructor(
    private readonly row: RawEventRow,
    private readonly withHashes: boolean,
  ) {
    this.position = BigInt(row[Col.Position] as string);
    this.transactionId = BigInt(row[Col.TransactionId] as string);
    this.id = row[Col.Id] as string;
    this.tenant = row[Col.Tenant] as string;
    this.streamId = row[Col.StreamId] as string;
    this.streamVersion = Number(row[Col.StreamVersion]);
    this.type = row[Col.Type] as string;
  }

  get data(): unknown {
    if (!this.#dataDecoded) {
      this.#data = JSON.parse(this.row[Col.Data] as string);
      this.#dataDecoded = true;
    }
    return this.#data;
  }

  get metadata(): EventMetadata {
    this.#metadata ??= JSON.parse(this.row[Col.Metadata] as string) as EventMetadata;
    return this.#metadata;
  }

  get recordedAt(): Date {
    this.#recordedAt ??= types.getTypeParser(TIMESTAMPTZ_OID)(this.row[Col.RecordedAt] as string) as Date;
    return this.#recordedAt;
  }

  get prevHash(): Buffer | null {
    const text = this.hashColumn(Col.PrevHash);
    return text === null ? null : (types.getTypeParser(BYTEA_OID)(text) as Buffer);
  }

  get hash(): Buffer {
    return types.getTypeParser(BYTEA_OID)(this.hashColumn(Col.Hash) as string) as Buffer;
  }

  private hashColumn(column: Col.PrevHash | Col.Hash): string | null {
    if (!this.withHashes) throw new Error('this page was read without the hash chain (readLogPageLazily, hashes: false)');
    return this.row[column];
  }
}
