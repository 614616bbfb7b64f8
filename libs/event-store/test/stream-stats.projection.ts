import type { Projection } from '../src';

/** A small but real read model for tests: per stream, how many events and the sum of their `n`. */
export const streamStatsProjection: Projection = {
  name: 'stream-stats',
  tables: ['stream_stats'],
  async createTables(db, t) {
    await db.query(`CREATE TABLE "${t('stream_stats')}" (tenant text NOT NULL, stream_id text NOT NULL, events int NOT NULL, total bigint NOT NULL, last_version int NOT NULL, PRIMARY KEY (tenant, stream_id))`);
  },
  async apply(db, events, t) {
    await db.query(
      `INSERT INTO "${t('stream_stats')}" (tenant, stream_id, events, total, last_version)
       SELECT tenant, stream_id, count(*), sum(n), max(v) FROM unnest($1::text[], $2::text[], $3::bigint[], $4::int[]) AS e(tenant, stream_id, n, v)
       GROUP BY tenant, stream_id
       ON CONFLICT (tenant, stream_id) DO UPDATE SET events = "${t('stream_stats')}".events + EXCLUDED.events,
         total = "${t('stream_stats')}".total + EXCLUDED.total, last_version = EXCLUDED.last_version`,
      [events.map((e) => e.tenant), events.map((e) => e.streamId), events.map((e) => (e.data as { n?: number }).n ?? 0), events.map((e) => e.streamVersion)],
    );
  },
};
