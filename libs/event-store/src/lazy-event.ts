import { types, type CustomTypesConfig } from 'pg';
import type { Queryable } from './event-store';
import { LOG_HORIZON } from './log-horizon';
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
  /**
   * Which events the reader needs the payload of (data, metadata and time), asked of each event of the page
   * with only its position, id, tenant, stream, version and type: for a reader that holds most of what it
   * tails already (the gateway's memory, which applied its own appends as they committed). The page is read
   * without payloads, and the wanted ones in a second query only when there are any. The others' `data`,
   * `metadata` and `recordedAt` throw. Without this option every payload comes with the page.
   */
  payloads?: (event: StoredEvent) => boolean;
}

/**
 * EventStore.readAll's page (the same rows, in the same order: see there for why a reader that resumes from
 * its last event never skips one), its events decoded on first use (LazyEvent): for log readers that tail
 * everything and look closely at a few event types only. Rows come as arrays, not objects of twelve
 * properties: decoding pages is most of what tailing the log costs such a reader.
 */
export async function readLogPageLazily(db: Queryable, after: Checkpoint, limit: number, options: LazyPageOptions = {}): Promise<StoredEvent[]> {
  const hashes = options.hashes ?? true;
  const wanted = options.payloads;
  // Without payloads the columns keep their places (Col), as NULLs.
  const payloads = wanted ? 'NULL AS data, NULL AS metadata, NULL AS recorded_at' : 'data, metadata, recorded_at';
  const { rows } = await db.query<RawEventRow>({
    text: `SELECT position, transaction_id, id, tenant, stream_id, stream_version, type, ${payloads}${hashes ? ', prev_hash, hash' : ''}
             FROM events WHERE (transaction_id, position) > ($1::text::xid8, $2::bigint) AND transaction_id < ${LOG_HORIZON}
            ORDER BY transaction_id, position LIMIT $3`,
    values: [after.transactionId.toString(), after.position.toString(), limit],
    types: RAW_TEXT_TYPES,
    rowMode: 'array',
  });
  const events: StoredEvent[] = new Array(rows.length);
  const missing: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const event = new LazyEvent(rows[i], hashes, wanted === undefined);
    events[i] = event;
    if (wanted?.(event)) missing.push(i);
  }
  if (missing.length > 0) await readPayloads(db, after, rows, missing, events, hashes);
  return events;
}

/** Reads the payloads of the page's rows at `indexes` into them, and gives those rows events that have them. */
async function readPayloads(db: Queryable, after: Checkpoint, rows: RawEventRow[], indexes: number[], events: StoredEvent[], hashes: boolean): Promise<void> {
  const last = rows[rows.length - 1];
  // The page's own range (its rows are committed: no snapshot condition), by the primary key, then by position.
  const { rows: payloads } = await db.query<RawEventRow>({
    text: `SELECT position, data, metadata, recorded_at FROM events
            WHERE (transaction_id, position) > ($1::text::xid8, $2::bigint) AND (transaction_id, position) <= ($3::text::xid8, $4::bigint)
              AND position = ANY($5::bigint[])`,
    values: [after.transactionId.toString(), after.position.toString(), last[Col.TransactionId], last[Col.Position], indexes.map((i) => rows[i][Col.Position])],
    types: RAW_TEXT_TYPES,
    rowMode: 'array',
  });
  const byPosition = new Map<string, RawEventRow>();
  for (const payload of payloads) byPosition.set(payload[0] as string, payload);
  for (const i of indexes) {
    const row = rows[i];
    const payload = byPosition.get(row[Col.Position] as string);
    // The log is append-only: a row of the page without its payload a moment later is a broken read.
    if (!payload) throw new Error(`event at position ${row[Col.Position]} vanished between two reads of its page`);
    row[Col.Data] = payload[1];
    row[Col.Metadata] = payload[2];
    row[Col.RecordedAt] = payload[3];
    events[i] = new LazyEvent(row, hashes, true);
  }
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
    private readonly withPayload: boolean,
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
      this.#data = JSON.parse(this.payloadColumn(Col.Data));
      this.#dataDecoded = true;
    }
    return this.#data;
  }

  get metadata(): EventMetadata {
    this.#metadata ??= JSON.parse(this.payloadColumn(Col.Metadata)) as EventMetadata;
    return this.#metadata;
  }

  get recordedAt(): Date {
    this.#recordedAt ??= types.getTypeParser(TIMESTAMPTZ_OID)(this.payloadColumn(Col.RecordedAt)) as Date;
    return this.#recordedAt;
  }

  get prevHash(): Buffer | null {
    const text = this.hashColumn(Col.PrevHash);
    return text === null ? null : (types.getTypeParser(BYTEA_OID)(text) as Buffer);
  }

  get hash(): Buffer {
    return types.getTypeParser(BYTEA_OID)(this.hashColumn(Col.Hash) as string) as Buffer;
  }

  private payloadColumn(column: Col.Data | Col.Metadata | Col.RecordedAt): string {
    if (!this.withPayload) throw new Error('this event was read without its payload (readLogPageLazily, payloads)');
    return this.row[column] as string;
  }

  private hashColumn(column: Col.PrevHash | Col.Hash): string | null {
    if (!this.withHashes) throw new Error('this page was read without the hash chain (readLogPageLazily, hashes: false)');
    return this.row[column];
  }
}
