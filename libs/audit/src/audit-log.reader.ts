import type { Pool, PoolClient } from 'pg';
import type { StoredEvent } from '@rollgate/event-store';
import { DomainError } from '@rollgate/shared-domain';
import { actionStreamId, groupStreamId, healthStreamId, rolloutStreamId, toAuditEvent, type AuditEvent } from './audit-event';

const EVENT_COLUMNS = `position, transaction_id::text AS transaction_id, id, tenant, stream_id, stream_version, type, data, metadata, recorded_at, prev_hash, hash`;
/** Action streams asked for per query: a bound on the array parameter, not on the rollout's size. */
const ACTION_STREAMS_PER_QUERY = 20_000;

/** Everything the log holds about one rollout, read in one consistent snapshot. */
export interface RolloutRecord {
  tenant: string;
  rolloutId: string;
  /** rollout (incident records included), group, health and action events of the rollout, in log order */
  events: AuditEvent[];
  /** the catalog streams of its distribution set, its software modules and their artifacts */
  catalog: AuditEvent[];
}

/**
 * Reads a rollout's events straight from the log (no read model), so that history, replay and evidence rest
 * on the tamper-evident record alone. Streams are found the way docs/event-flow.md lays them out: the rollout
 * stream names its groups (plan), each group's `group-ready` names its block of action ids, the health
 * evaluator writes to `health-<rolloutId>`.
 */
export class AuditLogReader {
  constructor(private readonly pool: Pool) {}

  /**
   * A rollout by id or by name; `rollout_not_found` otherwise. Tenants never see each other's rollouts. The
   * id is looked up by stream (indexed); a name costs a scan of the creation events, so callers that poll
   * (watch) pass ids.
   */
  async resolveRollout(tenant: string, idOrName: string): Promise<string> {
    const byId = await this.pool.query(`SELECT 1 FROM events WHERE tenant = $1 AND stream_id = $2 AND stream_version = 1`, [tenant, rolloutStreamId(idOrName)]);
    if (byId.rows.length > 0) return idOrName;
    const { rows } = await this.pool.query<{ stream_id: string }>(
      `SELECT stream_id FROM events WHERE tenant = $1 AND type = 'io.rollgate.rollout.rollout-created.v1' AND data->>'name' = $2 ORDER BY position DESC LIMIT 1`,
      [tenant, idOrName],
    );
    if (rows.length === 0) throw new DomainError('rollout_not_found', `no rollout ${idOrName} in tenant ${tenant}`);
    return rows[0].stream_id.slice('rollout-'.length);
  }

  /**
   * `actions: 'ends'` reads only the first and the last event of each action stream: enough for a device's
   * status (each action event but a denied confirmation sets the status outright; see the property spec),
   * three or more times fewer rows for a live view that polls. History, export and as-of replay read all.
   */
  async readRollout(tenant: string, rolloutId: string, until?: Date, options: { actions?: 'all' | 'ends' } = {}): Promise<RolloutRecord> {
    const client = await this.pool.connect();
    try {
      // One snapshot for all the reads: a rollout running while it is audited must not appear half-updated.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const record = await this.readInSnapshot(client, tenant, rolloutId, until, options.actions ?? 'all');
      await client.query('COMMIT');
      return record;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async readInSnapshot(db: PoolClient, tenant: string, rolloutId: string, until: Date | undefined, actionEvents: 'all' | 'ends'): Promise<RolloutRecord> {
    const rollout = await streams(db, tenant, [rolloutStreamId(rolloutId)], until);
    if (rollout.length === 0) throw new DomainError('rollout_not_found', `no rollout ${rolloutId} in tenant ${tenant}`);
    const groups = await streams(db, tenant, groupIdsOf(rollout).map(groupStreamId), until);
    const health = await streams(db, tenant, [healthStreamId(rolloutId)], until);
    const actions: StoredEvent[] = [];
    const actionIds = actionStreamIdsOf(groups);
    for (let i = 0; i < actionIds.length; i += ACTION_STREAMS_PER_QUERY) {
      const chunk = actionIds.slice(i, i + ACTION_STREAMS_PER_QUERY);
      actions.push(...(actionEvents === 'all' ? await streams(db, tenant, chunk, until) : await streamEnds(db, tenant, chunk, until)));
    }
    // The scheduler records incidents on the rollout stream itself (rollout-incident-recorded): no other stream to find.
    const events = inLogOrder([...rollout, ...groups, ...health, ...actions]);
    const catalog = await this.catalogOf(db, tenant, events, until);
    return { tenant, rolloutId, events: events.map(toAuditEvent), catalog: catalog.map(toAuditEvent) };
  }

  /** The distribution set's stream, then its modules' and their artifacts' (ids as the catalog events name them). */
  private async catalogOf(db: PoolClient, tenant: string, events: readonly StoredEvent[], until: Date | undefined): Promise<StoredEvent[]> {
    const created = events.find((e) => e.type === 'io.rollgate.rollout.rollout-created.v1');
    const dsId = (created?.data as { distributionSetId?: string } | undefined)?.distributionSetId;
    if (!dsId) return [];
    const ds = await streams(db, tenant, [`distributionset-${dsId}`], until);
    const moduleIds = new Set<string>();
    for (const e of ds) for (const id of idsIn(e.data, ['modules', 'moduleIds', 'softwareModules'])) moduleIds.add(id);
    const modules = await streams(db, tenant, [...moduleIds].map((id) => `softwaremodule-${id}`), until);
    const artifactShas = new Set<string>();
    for (const e of modules) for (const sha of shasIn(e.data)) artifactShas.add(sha);
    const artifacts = await streams(db, tenant, [...artifactShas].map((sha) => `artifact-${sha}`), until);
    return inLogOrder([...ds, ...modules, ...artifacts]);
  }
}

async function streams(db: PoolClient, tenant: string, streamIds: readonly string[], until: Date | undefined): Promise<StoredEvent[]> {
  if (streamIds.length === 0) return [];
  const { rows } = await db.query(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE tenant = $1 AND stream_id = ANY($2::text[]) AND ($3::timestamptz IS NULL OR recorded_at <= $3)
      ORDER BY transaction_id, position`,
    [tenant, [...new Set(streamIds)], until ?? null],
  );
  return rows.map(storedEvent);
}

function groupIdsOf(rollout: readonly StoredEvent[]): string[] {
  const ids = new Set<string>();
  for (const e of rollout) {
    const plan = (e.data as { plan?: { groups?: Array<{ groupId: string }> } }).plan;
    for (const g of plan?.groups ?? []) ids.add(g.groupId);
  }
  return [...ids];
}

/** What a status needs of an action event: no metadata, no hashes (decoding them was most of a poll's cost). */
const SLIM_COLUMNS = `position, transaction_id::text AS transaction_id, id, tenant, stream_id, stream_version, type, data, NULL AS metadata, recorded_at, NULL AS prev_hash, ''::bytea AS hash`;

/** The first and the last event of each stream (one row when the stream has one event), slim. */
async function streamEnds(db: PoolClient, tenant: string, streamIds: readonly string[], until: Date | undefined): Promise<StoredEvent[]> {
  if (streamIds.length === 0) return [];
  const { rows } = await db.query(
    `WITH chosen AS (SELECT * FROM events WHERE tenant = $1 AND stream_id = ANY($2::text[]) AND ($3::timestamptz IS NULL OR recorded_at <= $3))
     SELECT ${SLIM_COLUMNS} FROM (
       SELECT * FROM chosen WHERE stream_version = 1
       UNION
       SELECT * FROM (SELECT DISTINCT ON (stream_id) * FROM chosen ORDER BY stream_id, stream_version DESC) newest
     ) ends ORDER BY transaction_id, position`,
    [tenant, [...new Set(streamIds)], until ?? null],
  );
  return rows.map(storedEvent);
}

/** Member p of a group runs as action firstActionId + p (docs/event-flow.md, "Action ids"). */
function actionStreamIdsOf(groups: readonly StoredEvent[]): string[] {
  const ids: string[] = [];
  for (const e of groups) {
    if (!e.type.endsWith('.group-ready.v1')) continue;
    const { size, firstActionId } = e.data as { size: number; firstActionId: number };
    for (let p = 0; p < size; p++) ids.push(actionStreamId(firstActionId + p));
  }
  return ids;
}

function inLogOrder(events: StoredEvent[]): StoredEvent[] {
  const seen = new Set<string>();
  return events
    .filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)))
    .sort((a, b) => (a.transactionId === b.transactionId ? cmp(a.position, b.position) : cmp(a.transactionId, b.transactionId)));
}

const cmp = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

function idsIn(data: unknown, keys: string[]): string[] {
  const found: string[] = [];
  const record = (data ?? {}) as Record<string, unknown>;
  for (const key of keys) {
    const value = record[key];
    if (!Array.isArray(value)) continue;
    for (const item of value) {
      if (typeof item === 'string' || typeof item === 'number') found.push(String(item));
      else if (item && typeof item === 'object' && 'id' in item) found.push(String((item as { id: unknown }).id));
    }
  }
  return found;
}

/** sha256 hex digests anywhere in a payload (artifact references of a software module). */
function shasIn(data: unknown): string[] {
  const found = new Set<string>();
  const walk = (value: unknown, key: string): void => {
    if (typeof value === 'string' && /sha256/i.test(key) && /^[0-9a-f]{64}$/.test(value)) found.add(value);
    else if (Array.isArray(value)) value.forEach((v) => walk(v, key));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  walk(data, '');
  return [...found];
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
  metadata: Record<string, unknown> | null;
  recorded_at: Date;
  prev_hash: Buffer | null;
  hash: Buffer;
}

function storedEvent(row: EventRow): StoredEvent {
  return {
    position: BigInt(row.position), transactionId: BigInt(row.transaction_id), id: row.id, tenant: row.tenant, streamId: row.stream_id,
    streamVersion: row.stream_version, type: row.type, data: row.data, metadata: row.metadata ?? {}, recordedAt: row.recorded_at,
    prevHash: row.prev_hash, hash: row.hash,
  };
}

