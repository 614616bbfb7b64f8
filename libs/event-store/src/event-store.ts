import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { uuidv7 } from './uuidv7';
import { ConcurrencyError, InfrastructureError, isValidTenant, RollgateError, ValidationError } from '@rollgate/shared-domain';
import { parseEventType } from '@rollgate/contracts';
import { canonicalJson } from './canonical-json';
import { eventHashHexOfCanonical } from './hash-chain';
import { LOG_HORIZON } from './log-horizon';
import type { AppendRequest, AppendResult, Checkpoint, ExpectedVersion, NewEvent, RelayRecord, StoredEvent } from './types';

const EVENT_COLUMNS = `position, transaction_id::text AS transaction_id, id, tenant, stream_id, stream_version, type, data, metadata, recorded_at, prev_hash, hash`;

/** A database session or transaction to run queries on (a Pool or a checked-out client). */
export type Queryable = Pick<Pool, 'query'> | PoolClient;

/**
 * The only write path into the log. One append is one short transaction (a long one would hold every
 * log reader back, see readAll). Appends are:
 * - optimistic: the stream must be at `expectedVersion`, else ConcurrencyError and nothing is written;
 * - atomic across streams: `appendMany` writes all requests or none;
 * - idempotent by event id: re-sending an append whose events are already in the log returns the original
 *   result with `duplicate: true`.
 */
export class EventStore {
  /** Heads of streams this store appended to itself, so that the next append there needs no lookup. */
  private readonly knownHeads = new KnownHeads(KNOWN_HEADS_KEPT);

  constructor(private readonly pool: Pool) {}

  async append(tenant: string, streamId: string, expectedVersion: ExpectedVersion, events: NewEvent[]): Promise<AppendResult> {
    const [result] = await this.appendMany([{ tenant, streamId, expectedVersion, events }]);
    return result;
  }

  async appendMany(requests: AppendRequest[]): Promise<AppendResult[]> {
    requests.forEach(validateRequest);
    const client = await this.pool.connect();
    // No explicit transaction, however many streams: every event of the batch goes in with a single COPY,
    // which is atomic on its own, and the unique constraints on (tenant, stream, version) and on the event id
    // refuse a writer that raced us between reading a head and inserting. That saves BEGIN and COMMIT, two
    // round trips of every group commit.
    try {
      return await this.write(client, requests, this.knownHeads);
    } catch (error) {
      this.knownHeads.forget(requests);
      throw translateError(error, requests);
    } finally {
      client.release();
    }
  }

  /**
   * Appends inside a transaction the caller owns, for writers that must commit other rows atomically with
   * their events (a consumer's processed-id record, say). The caller commits and translates errors.
   */
  async appendInTransaction(client: PoolClient, requests: AppendRequest[]): Promise<AppendResult[]> {
    // The caller may still roll back: what is written here is never remembered as a stream's head.
    this.knownHeads.forget(requests);
    return this.write(client, requests, undefined);
  }

  /** `known`: heads to use instead of a lookup, and to remember once the write is committed (autocommit only). */
  private async write(client: PoolClient, requests: AppendRequest[], known: KnownHeads | undefined): Promise<AppendResult[]> {
    const results: AppendResult[] = [];
    const rows = new CopyRows();
    const ids = requests.map((request) => request.events.map((e) => e.id ?? uuidv7()));
    // One round trip for the heads and retried ids of the whole batch (a per-stream query made a
    // 500-stream group commit cost 500 round trips). It is in flight while the payloads are serialised.
    const lookup = batchHeadsAndExisting(client, requests, known);
    const payloads = requests.map((request) => canonicalPayloads(request.events));
    const { heads, existingById } = await lookup;
    // A stream appended to twice in one batch continues from its first append's head.
    const batchHeads = new Map<string, StreamHead>();
    // One time for the whole batch: its events commit together (and a Date per request was measurable).
    const recordedAtIso = new Date().toISOString();
    requests.forEach((request, requestIndex) => {
      const key = streamKey(request.tenant, request.streamId);
      const existing = existingById.size === 0 ? NO_EXISTING : existingEventsOf(request, existingById);
      if (existing.length > 0 && existing.length === request.events.length) {
        results.push(duplicateResult(request, existing));
        return;
      }
      if (existing.length > 0) {
        throw new ConcurrencyError(request.streamId, versionOf(request.expectedVersion), Math.max(...existing.map((e) => e.streamVersion)));
      }
      const head = batchHeads.get(key) ?? heads.get(key) ?? NEW_STREAM_HEAD;
      if (request.expectedVersion !== 'any' && request.expectedVersion !== head.version) {
        throw new ConcurrencyError(request.streamId, request.expectedVersion, head.version);
      }
      let prevHash = head.hash;
      let version = head.version;
      request.events.forEach((event, index) => {
        version += 1;
        const fields = { id: ids[requestIndex][index], tenant: request.tenant, streamId: request.streamId, streamVersion: version, type: event.type };
        const [dataJson, metadataJson] = payloads[requestIndex][index];
        if (dataJson.length + metadataJson.length > MAX_EVENT_PAYLOAD_BYTES / 4) assertPayloadSize(request.streamId, dataJson, metadataJson);
        const hash = eventHashHexOfCanonical(prevHash, fields, dataJson, metadataJson, recordedAtIso);
        rows.add(fields, recordedAtIso, dataJson, metadataJson, prevHash, hash);
        prevHash = hash;
      });
      batchHeads.set(key, { version, hash: prevHash });
      results.push({ streamId: request.streamId, version, eventIds: ids[requestIndex], duplicate: false });
    });
    await rows.insert(client);
    known?.remember(batchHeads);
    return results;
  }

  /** One stream's events in version order, from `fromVersion` on (inclusive). */
  async readStream(tenant: string, streamId: string, fromVersion = 1): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE tenant = $1 AND stream_id = $2 AND stream_version >= $3 ORDER BY stream_version`,
      [tenant, streamId, fromVersion],
    );
    return rows.map(toStoredEvent);
  }

  /**
   * Several streams of one tenant in one query (bulk commands load many aggregates at once), each in
   * version order. Streams without events are present with an empty list.
   */
  async readStreams(tenant: string, streamIds: readonly string[]): Promise<Map<string, StoredEvent[]>> {
    const streams = new Map<string, StoredEvent[]>(streamIds.map((id) => [id, []]));
    if (streamIds.length === 0) return streams;
    const { rows } = await this.pool.query(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE tenant = $1 AND stream_id = ANY($2::text[]) ORDER BY stream_id, stream_version`,
      [tenant, [...new Set(streamIds)]],
    );
    for (const row of rows) streams.get(row.stream_id)?.push(toStoredEvent(row));
    return streams;
  }

  /**
   * The next page of the global log after `after`, in (transaction_id, position) order. Only events written
   * by transactions older than every still-open transaction are returned: such a prefix can no longer grow
   * in the middle, so a reader that resumes from its last (transaction_id, position) never skips an event
   * whose bigserial was handed out before it committed.
   */
  async readAll(after: Checkpoint, limit = 1000, db: Queryable = this.pool): Promise<StoredEvent[]> {
    const { rows } = await db.query(
      `SELECT ${EVENT_COLUMNS} FROM events
        WHERE (transaction_id, position) > ($1::text::xid8, $2::bigint)
          AND transaction_id < ${LOG_HORIZON}
        ORDER BY transaction_id, position
        LIMIT $3`,
      [after.transactionId.toString(), after.position.toString(), limit],
    );
    return rows.map(toStoredEvent);
  }

  /**
   * Like readAll, but returns every event committed in the caller's snapshot, without holding back at the
   * oldest open transaction: for audits that read a consistent snapshot (run it in a REPEATABLE READ
   * transaction), never for tailing.
   */
  async readCommitted(after: Checkpoint, limit: number, db: Queryable): Promise<StoredEvent[]> {
    const { rows } = await db.query(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE (transaction_id, position) > ($1::text::xid8, $2::bigint)
        ORDER BY transaction_id, position LIMIT $3`,
      [after.transactionId.toString(), after.position.toString(), limit],
    );
    return rows.map(toStoredEvent);
  }

  /**
   * Like readAll, but each event comes back as its CloudEvent JSON, rendered by PostgreSQL. The relay
   * publishes this text as it is: decoding every row (jsonb, timestamps, bytea) and encoding it again in
   * Node cost the relay a third of its throughput, and PostgreSQL does it on the other core. The rendering
   * is the same as toCloudEvent's (a test holds the two together); optional extensions are left out when
   * the metadata has no string for them.
   */
  async readCloudEvents(after: Checkpoint, limit = 1000, db: Queryable = this.pool): Promise<RelayRecord[]> {
    const { rows } = await db.query(
      `SELECT position, transaction_id::text AS transaction_id, id, tenant, type, hash,
              ${stringField('traceparent')} AS traceparent,
              -- Text assembly, not jsonb_build_object: no intermediate jsonb values to build and print.
              -- to_json() escapes each string; a missing extension's NULL drops its whole ',"key":…' part.
              '{"specversion":"1.0","id":"' || id || '"'
                || ',"source":' || to_json(coalesce(${stringField('source')}, 'rollgate/unknown'))::text
                || ',"type":' || to_json(type)::text
                || ',"time":"' || to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"'
                || ',"subject":' || to_json(stream_id)::text
                || ',"datacontenttype":"application/json"'
                || ',"dataschema":' || to_json('urn:rollgate:schema:' || split_part(type, '.', 3) || ':' || split_part(type, '.', 4) || ':' || split_part(type, '.', 5))::text
                || ',"tenant":' || to_json(tenant)::text
                || ',"streamid":' || to_json(stream_id)::text
                || ',"streamversion":' || stream_version
                || ',"position":"' || position || '"'
                || coalesce(',"correlationid":' || to_json(${stringField('correlationId')})::text, '')
                || coalesce(',"causationid":' || to_json(${stringField('causationId')})::text, '')
                || coalesce(',"traceparent":' || to_json(${stringField('traceparent')})::text, '')
                || coalesce(',"actor":' || to_json(${stringField('actor')})::text, '')
                || ',"data":' || data::text || '}' AS cloud_event
         FROM events
        WHERE (transaction_id, position) > ($1::text::xid8, $2::bigint)
          AND transaction_id < ${LOG_HORIZON}
        ORDER BY transaction_id, position
        LIMIT $3`,
      [after.transactionId.toString(), after.position.toString(), limit],
    );
    return rows.map((row: { position: string; transaction_id: string; id: string; tenant: string; type: string; hash: Buffer; traceparent: string | null; cloud_event: string }) => ({
      position: BigInt(row.position),
      transactionId: BigInt(row.transaction_id),
      id: row.id,
      tenant: row.tenant,
      type: row.type,
      hash: row.hash,
      traceparent: row.traceparent ?? undefined,
      cloudEvent: row.cloud_event,
    }));
  }

  /** The newest committed event in log order, as a checkpoint (undefined for an empty log). */
  async head(db: Queryable = this.pool): Promise<Checkpoint | undefined> {
    const { rows } = await db.query(`SELECT transaction_id::text AS tx, position FROM events ORDER BY transaction_id DESC, position DESC LIMIT 1`);
    return rows.length ? { transactionId: BigInt(rows[0].tx), position: BigInt(rows[0].position) } : undefined;
  }

  /** Current version of a stream (0 when it has no events). */
  async streamVersion(tenant: string, streamId: string): Promise<number> {
    return (await streamHead(this.pool, tenant, streamId)).version;
  }
}

/** A metadata member as text when it is a JSON string, else NULL (as toCloudEvent's typeof check). */
function stringField(key: string): string {
  return `CASE WHEN jsonb_typeof(metadata -> '${key}') = 'string' THEN metadata ->> '${key}' END`;
}

/**
 * The events of one append as COPY text rows: one statement, atomic, however many events. COPY parses
 * about a third faster than an INSERT over unnest(arrays), and Node skips pg's array-literal escaping,
 * which was the largest JavaScript cost of an append.
 */
class CopyRows {
  private text = '';
  count = 0;

  /** `prevHashHex` and `hashHex`: lower-case hex, as bytea's text form after its `\\x`. */
  add(e: { id: string; tenant: string; streamId: string; streamVersion: number; type: string }, recordedAtIso: string, dataJson: string, metadataJson: string, prevHashHex: string | null, hashHex: string): void {
    const prev = prevHashHex ? `\\\\x${prevHashHex}` : '\\N';
    this.text += `${e.id}\t${copyText(e.tenant)}\t${copyText(e.streamId)}\t${e.streamVersion}\t${copyText(e.type)}\t${copyText(dataJson)}\t${copyText(metadataJson)}\t${recordedAtIso}\t${prev}\t\\\\x${hashHex}\n`;
    this.count += 1;
  }

  async insert(client: PoolClient): Promise<void> {
    if (this.count === 0) return;
    const stream = client.query(copyFrom(`COPY events (id, tenant, stream_id, stream_version, type, data, metadata, recorded_at, prev_hash, hash) FROM STDIN`));
    await new Promise<void>((resolve, reject) => {
      stream.on('finish', resolve);
      stream.on('error', reject);
      stream.end(this.text);
    });
  }
}

/** Escapes a value for COPY's text format: backslash, and the tab, newline and CR that delimit it. */
function copyText(value: string): string {
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]) : value;
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

async function streamHead(db: Queryable, tenant: string, streamId: string): Promise<{ version: number; hash: Buffer | null }> {
  const { rows } = await db.query(
    `SELECT stream_version, hash FROM events WHERE tenant = $1 AND stream_id = $2 ORDER BY stream_version DESC LIMIT 1`,
    [tenant, streamId],
  );
  return rows.length === 0 ? { version: 0, hash: null } : { version: rows[0].stream_version, hash: rows[0].hash };
}

interface StreamHead {
  version: number;
  /** the head event's hash as lower-case hex (null for a new stream) */
  hash: string | null;
}

interface ExistingEvent {
  streamVersion: number;
  position: bigint;
}

const NEW_STREAM_HEAD: StreamHead = { version: 0, hash: null };

/** Enough for every device's open action in a large fleet, a few MB. */
const KNOWN_HEADS_KEPT = 100_000;

/**
 * The heads of streams as this store's own committed appends left them. An append whose expected version
 * equals the remembered head's version needs no lookup (the gateway's feedback, the scheduler's action
 * events: each writer appends where it appended last). A remembered head can only be stale by being older
 * than the stream: then the append's next version exists already and the unique constraint refuses it
 * (ConcurrencyError), exactly as a lookup would have. Only committed heads are remembered: a head whose
 * transaction could still roll back could chain a later event to a hash that is not in the log.
 */
class KnownHeads {
  private readonly heads = new Map<string, StreamHead>();

  constructor(private readonly capacity: number) {}

  at(key: string, expectedVersion: ExpectedVersion): StreamHead | undefined {
    const head = this.heads.get(key);
    return head && head.version === expectedVersion ? head : undefined;
  }

  remember(heads: Map<string, StreamHead>): void {
    for (const [key, head] of heads) {
      this.heads.delete(key);
      this.heads.set(key, head);
    }
    // Map keeps insertion order: the first keys are those appended to longest ago.
    for (const key of this.heads.keys()) {
      if (this.heads.size <= this.capacity) break;
      this.heads.delete(key);
    }
  }

  forget(requests: AppendRequest[]): void {
    for (const request of requests) this.heads.delete(streamKey(request.tenant, request.streamId));
  }
}

function streamKey(tenant: string, streamId: string): string {
  return `${tenant}\u0000${streamId}`;
}

const NO_EXISTING: ExistingEvent[] = [];
const NO_IDS: string[] = [];

/** The request's caller-chosen events already in the log, in log order. */
function existingEventsOf(request: AppendRequest, existingById: Map<string, ExistingEvent>): ExistingEvent[] {
  return [...new Set(callerIdsOf(request).map((id) => id.toLowerCase()))]
    .map((id) => existingById.get(id))
    .filter((e): e is ExistingEvent => e !== undefined)
    .sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
}

/**
 * Each event's data and metadata in canonical form. The events of one append usually share one metadata
 * object (a command's source and actor), which is serialised once.
 */
function canonicalPayloads(events: NewEvent[]): Array<readonly [string, string]> {
  let lastMetadata: unknown;
  let lastMetadataJson = '';
  return events.map((e) => {
    const metadata = e.metadata ?? EMPTY_METADATA;
    if (metadata !== lastMetadata) {
      lastMetadata = metadata;
      lastMetadataJson = canonicalJson(metadata);
    }
    return [canonicalJson(e.data), lastMetadataJson] as const;
  });
}

const EMPTY_METADATA = Object.freeze({});

/** Only ids the caller chose can make an append a retry; ids generated here are new by construction. */
function callerIdsOf(request: AppendRequest): string[] {
  if (request.events.every((e) => e.id === undefined)) return NO_IDS;
  return request.events.filter((e) => e.id !== undefined).map((e) => e.id as string);
}

/**
 * The heads of every stream of a batch and whichever caller-chosen event ids are already in the log, in one
 * round trip. Each head is an index probe (LIMIT 1 per stream through the (tenant, stream_id, stream_version)
 * unique index), so a long stream costs no more than a short one. A new stream (expected version 0) without
 * caller ids needs no lookup: if it exists after all, the unique constraint refuses the insert.
 */
async function batchHeadsAndExisting(
  db: Queryable,
  requests: AppendRequest[],
  known: KnownHeads | undefined,
): Promise<{ heads: Map<string, StreamHead>; existingById: Map<string, ExistingEvent> }> {
  const streams = new Map<string, { tenant: string; streamId: string }>();
  const callerIds: string[] = [];
  const heads = new Map<string, StreamHead>();
  for (const request of requests) {
    const ids = callerIdsOf(request);
    if (ids.length > 0) callerIds.push(...ids);
    if (request.expectedVersion === 0 && ids.length === 0) continue;
    const key = streamKey(request.tenant, request.streamId);
    const head = ids.length === 0 ? known?.at(key, request.expectedVersion) : undefined;
    if (head) heads.set(key, head);
    else streams.set(key, { tenant: request.tenant, streamId: request.streamId });
  }
  // A stream appended to twice in one batch is looked up if either append needs it.
  for (const key of streams.keys()) heads.delete(key);
  const existingById = new Map<string, ExistingEvent>();
  if (streams.size === 0 && callerIds.length === 0) return { heads, existingById };
  const wanted = [...streams.values()];
  const { rows } = await db.query(
    `SELECT 'head' AS kind, s.tenant, s.stream_id, h.stream_version, h.hash, NULL::uuid AS id, NULL::bigint AS position
       FROM unnest($1::text[], $2::text[]) AS s(tenant, stream_id)
       CROSS JOIN LATERAL (
         SELECT stream_version, hash FROM events e
          WHERE e.tenant = s.tenant AND e.stream_id = s.stream_id
          ORDER BY stream_version DESC LIMIT 1) h
     UNION ALL
     SELECT 'existing', NULL, NULL, stream_version, NULL, id, position FROM events WHERE id = ANY($3::uuid[])`,
    [wanted.map((s) => s.tenant), wanted.map((s) => s.streamId), callerIds],
  );
  for (const row of rows as Array<{ kind: string; tenant: string; stream_id: string; stream_version: number; hash: Buffer | null; id: string; position: string }>) {
    if (row.kind === 'head') heads.set(streamKey(row.tenant, row.stream_id), { version: row.stream_version, hash: row.hash ? row.hash.toString('hex') : null });
    else existingById.set(row.id.toLowerCase(), { streamVersion: row.stream_version, position: BigInt(row.position) });
  }
  return { heads, existingById };
}

function duplicateResult(request: AppendRequest, existing: Array<{ streamVersion: number }>): AppendResult {
  return {
    streamId: request.streamId,
    version: Math.max(...existing.map((e) => e.streamVersion)),
    eventIds: request.events.map((e) => e.id as string),
    duplicate: true,
  };
}

function versionOf(expected: ExpectedVersion): number {
  return expected === 'any' ? -1 : expected;
}

/**
 * What the bus can carry: NATS refuses messages over its max_payload (1 MiB by default), and an event the
 * relay cannot publish would hold up every event after it. The envelope adds well under 1 KiB.
 */
export const MAX_EVENT_PAYLOAD_BYTES = 512 * 1024;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** Tenants and event types already found valid: a writer uses a handful, and checks them per append. */
const VALID_TENANTS = new Set<string>();
const VALID_TYPES = new Set<string>();
const VALID_KEPT = 10_000;

function rememberValid(valid: Set<string>, value: string, ok: boolean): boolean {
  if (!ok) return false;
  if (valid.size >= VALID_KEPT) valid.clear();
  valid.add(value);
  return true;
}

function validateRequest(request: AppendRequest): void {
  if (!request.tenant) throw new ValidationError('an append needs a tenant');
  // The tenant becomes a NATS subject token, so it must not contain '.', '*', '>' or spaces.
  if (!VALID_TENANTS.has(request.tenant) && !rememberValid(VALID_TENANTS, request.tenant, isValidTenant(request.tenant))) throw new ValidationError(`"${request.tenant}" is not a valid tenant: lower-case letters, digits and dashes`, [], 'invalid_tenant');
  if (!request.streamId) throw new ValidationError('an append needs a stream id');
  if (request.events.length === 0) throw new ValidationError(`append to ${request.streamId} has no events`);
  for (const event of request.events) {
    if (!VALID_TYPES.has(event.type)) {
      parseEventType(event.type);
      rememberValid(VALID_TYPES, event.type, true);
    }
    const traceparent = event.metadata?.traceparent;
    if (traceparent !== undefined && !(typeof traceparent === 'string' && TRACEPARENT.test(traceparent))) {
      // Consumers would dead-letter a CloudEvent with a malformed traceparent; refuse it here instead.
      throw new ValidationError(`metadata.traceparent "${String(traceparent)}" is not a W3C traceparent`, [], 'invalid_traceparent');
    }
  }
}

/** Refuses an event the bus could not carry (checked on the serialised payload, after canonicalisation). */
function assertPayloadSize(streamId: string, dataJson: string, metadataJson: string): void {
  const bytes = Buffer.byteLength(dataJson) + Buffer.byteLength(metadataJson);
  if (bytes > MAX_EVENT_PAYLOAD_BYTES) {
    throw new ValidationError(`an event for ${streamId} is ${bytes} bytes; events may be at most ${MAX_EVENT_PAYLOAD_BYTES} bytes`, [], 'event_too_large');
  }
}

/** A unique violation on the stream version means another writer appended first. */
function translateError(error: unknown, requests: AppendRequest[]): unknown {
  const pgError = error as { code?: string; constraint?: string };
  if (pgError.code === '23505' && (pgError.constraint === 'events_stream_version_unique' || pgError.constraint === 'events_id_unique')) {
    const first = requests[0];
    return new ConcurrencyError(first.streamId, versionOf(first.expectedVersion), undefined);
  }
  if (error instanceof RollgateError) return error;
  return new InfrastructureError('event_store_unavailable', `append failed: ${(error as Error).message}`, error);
}

interface EventRow {
  position: string;
  transaction_id: string;
  id: string;
  tenant: string;
  stream_id: string;
  stream_version: number;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  recorded_at: Date;
  prev_hash: Buffer | null;
  hash: Buffer;
}

export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    position: BigInt(row.position),
    transactionId: BigInt(row.transaction_id),
    id: row.id,
    tenant: row.tenant,
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
