import type { Pool } from 'pg';

/**
 * When each device last polled. A poll only notes it in memory; the notes go to the database in one
 * statement every few seconds, so polls cost no database write (hawkBit writes one row per poll).
 */
export class LastSeenRecorder {
  private pending = new Map<string, { tenant: string; controllerId: string; at: number }>();

  constructor(private readonly pool: Pick<Pool, 'query'>) {}

  touch(tenant: string, controllerId: string, at: number): void {
    this.pending.set(`${tenant}\u0000${controllerId}`, { tenant, controllerId, at });
  }

  /** Writes what was noted since the last flush; a failed flush keeps its notes for the next one. */
  async flush(): Promise<number> {
    if (this.pending.size === 0) return 0;
    const batch = this.pending;
    this.pending = new Map();
    const rows = [...batch.values()];
    try {
      await this.pool.query(
        `INSERT INTO device_last_seen (tenant, controller_id, last_seen_at)
         SELECT t, c, to_timestamp(a / 1000.0) FROM unnest($1::text[], $2::text[], $3::float8[]) AS u(t, c, a)
         ON CONFLICT (tenant, controller_id) DO UPDATE SET last_seen_at = GREATEST(device_last_seen.last_seen_at, EXCLUDED.last_seen_at)`,
        [rows.map((r) => r.tenant), rows.map((r) => r.controllerId), rows.map((r) => r.at)],
      );
      return rows.length;
    } catch (error) {
      for (const [key, row] of batch) if (!this.pending.has(key)) this.pending.set(key, row);
      throw error;
    }
  }
}
