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

  /** One statement per batch: the batch is folded per stream in SQL, then upserted. */
  async apply(db, events, t) {
    const table = `"${t('stream_catalog')}"`;
    await db.query(
      `INSERT INTO ${table} AS c (tenant, stream_id, aggregate, version, event_count, last_event_type, first_recorded_at, last_recorded_at)
       SELECT DISTINCT ON (tenant, stream_id)
              tenant, stream_id, split_part(stream_id, '-', 1), version,
              count(*) OVER w, type, min(recorded_at) OVER w, max(recorded_at) OVER w
         FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::timestamptz[]) AS e(tenant, stream_id, version, type, recorded_at)
       WINDOW w AS (PARTITION BY tenant, stream_id)
        ORDER BY tenant, stream_id, version DESC
       ON CONFLICT (tenant, stream_id) DO UPDATE SET
         version = EXCLUDED.version,
         event_count = c.event_count + EXCLUDED.event_count,
         last_event_type = EXCLUDED.last_event_type,
         last_recorded_at = EXCLUDED.last_recorded_at`,
      [
        events.map((e) => e.tenant),
        events.map((e) => e.streamId),
        events.map((e) => e.streamVersion),
        events.map((e) => e.type),
        events.map((e) => e.recordedAt.toISOString()),
      ],
    );
  },
};
