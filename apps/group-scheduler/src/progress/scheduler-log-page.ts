import type { Checkpoint, EventMetadata, StoredEvent } from '@rollgate/event-store';
import { types, type CustomTypesConfig, type Pool } from 'pg';

/** Every column comes back as PostgreSQL's text, decoded on first use. */
const RAW_TEXT_TYPES: CustomTypesConfig = { getTypeParser: () => (value: string) => value };
const TIMESTAMPTZ_OID = 1184;

/** The columns, in the order of a row (rowMode 'array'). */
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
}

/**
 * The scheduler's page of the log: the rows and order of event-store's readLogPageLazily (EventStore.readAll's
 * page: see there for why a reader that resumes from its last event never skips one), for its three log
 * readers (the counters and the read models target_deployments and targets), which never look at the hash
 * chain. So the page leaves out `hash` and `prev_hash` (two thirds of a small event's bytes besides its
 * payload), and rows come as arrays rather than objects of twelve properties: decoding pages is most of
 * what reading the log costs the scheduler behind a burst of device feedback. An event's `hash` and
 * `prevHash` throw: a reader that needs them reads the log with EventStore.readAll.
 */
export async function readSchedulerLogPage(pool: Pool, after: Checkpoint, limit: number): Promise<StoredEvent[]> {
  const { rows } = await pool.query<string[]>({
    text: `SELECT position, transaction_id, id, tenant, stream_id, stream_version, type, data, metadata, recorded_at
             FROM events WHERE (transaction_id, position) > ($1::text::xid8, $2::bigint) AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY transaction_id, position LIMIT $3`,
    values: [after.transactionId.toString(), after.position.toString(), limit],
    types: RAW_TEXT_TYPES,
    rowMode: 'array',
  });
  const events: StoredEvent[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) events[i] = new PageEvent(rows[i]);
  return events;
}

/** A log event whose payload, metadata and time are decoded on first use. */
class PageEvent implements StoredEvent {
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

  constructor(private readonly row: string[]) {
    this.position = BigInt(row[Col.Position]);
    this.transactionId = BigInt(row[Col.TransactionId]);
    this.id = row[Col.Id];
    this.tenant = row[Col.Tenant];
    this.streamId = row[Col.StreamId];
    this.streamVersion = Number(row[Col.StreamVersion]);
    this.type = row[Col.Type];
  }

  get data(): unknown {
    if (!this.#dataDecoded) {
      this.#data = JSON.parse(this.row[Col.Data]);
      this.#dataDecoded = true;
    }
    return this.#data;
  }

  get metadata(): EventMetadata {
    this.#metadata ??= JSON.parse(this.row[Col.Metadata]) as EventMetadata;
    return this.#metadata;
  }

  get recordedAt(): Date {
    this.#recordedAt ??= types.getTypeParser(TIMESTAMPTZ_OID)(this.row[Col.RecordedAt]) as Date;
    return this.#recordedAt;
  }

  get prevHash(): Buffer | null {
    throw new Error('the scheduler reads log pages without the hash chain (readSchedulerLogPage)');
  }

  get hash(): Buffer {
    throw new Error('the scheduler reads log pages without the hash chain (readSchedulerLogPage)');
  }
}
