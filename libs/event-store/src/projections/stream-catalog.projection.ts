import type { Projection } from './projection';

/**
 * The catalog of every stream in the log: what aggregate it is (the stream id's prefix, `<aggregate>-<id>`),
 * how far it has got and when it last
 * changed. Audit tools list and page streams from it without scanning the log.
 */
export const streamCatalogProjection: Projection = {
  name: 'stream-catalog',
  tables: ['stream_catalog'],

  async createTables(db, t) {
    await db.query(`
      CREATE TABLE "${t('stream_catalog')}" (
        tenant            text        NOT NULL,
        stream_id         text        NOT NULL,
        aggregate         text        NOT NULL,
        version           integer     NOT NULL,
        event_count       integer     NOT NULL,
        last_event_type   text        NOT NULL,
        first_recorded_at timestamptz NOT NULL,
        last_recorded_at  timestamptz NOT NULL,
        PRIMARY KEY (tenant, stream_id)
      )`);
    await db.query(`CREATE INDEX ON "${t('stream_catalog')}" (tenant, aggregate, last_recorded_at DESC)`);
  },

  /**
   * One statement per batch, one row per stream: the batch is folded per stream here (events arrive in log
   * order, so each stream's last event is its newest), then upserted.
   */
  async apply(db, events, t) {
    const streams = new Map<string, { tenant: string; streamId: string; version: number; count: number; type: string; first: Date; last: Date }>();
    for (const e of events) {
      const key = `${e.tenant}\u0000${e.streamId}`;
      const seen = streams.get(key);
      if (seen) {
        seen.version = e.streamVersion;
        seen.count += 1;
        seen.type = e.type;
        seen.last = e.recordedAt;
      } else {
        streams.set(key, { tenant: e.tenant, streamId: e.streamId, version: e.streamVersion, count: 1, type: e.type, first: e.recordedAt, last: e.recordedAt });
      }
    }
    const rows = [...streams.values()];
    const table = `"${t('stream_catalog')}"`;
    await db.query(
      `INSERT INTO ${table} AS c (tenant, stream_id, aggregate, version, event_count, last_event_type, first_recorded_at, last_recorded_at)
       SELECT tenant, stream_id, split_part(stream_id, '-', 1), version, count, type, first_at, last_at
         FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::text[], $6::timestamptz[], $7::timestamptz[])
              AS e(tenant, stream_id, version, count, type, first_at, last_at)
       ON CONFLICT (tenant, stream_id) DO UPDATE SET
         version = EXCLUDED.version,
         event_count = c.event_count + EXCLUDED.event_count,
         last_event_type = EXCLUDED.last_event_type,
         last_recorded_at = EXCLUDED.last_recorded_at`,
      [
        rows.map((r) => r.tenant),
        rows.map((r) => r.streamId),
        rows.map((r) => r.version),
        rows.map((r) => r.count),
        rows.map((r) => r.type),
        rows.map((r) => r.first.toISOString()),
        rows.map((r) => r.last.toISOString()),
      ],
    );
  },
};
