import type { Pool } from 'pg';

/**
 * When each device last polled. A poll only notes it in memory; the notes go to the database in one
 * statement every few seconds, so polls cost no database write (hawkBit writes one row per poll).
 *
 * Notes are kept per tenant by controller id: a device noted again before the flush costs no allocation
 * (an object and a joined key per request lived until the flush, long enough for the old generation).
 */
export class LastSeenRecorder {
  private pending = new Map<string, Map<string, number>>();

  constructor(private readonly pool: Pick<Pool, 'query'>) {}

  touch(tenant: string, controllerId: string, at: number): void {
    let devices = this.pending.get(tenant);
    if (devices === undefined) {
      devices = new Map();
      this.pending.set(tenant, devices);
    }
    devices.set(controllerId, at);
  }

  /** Writes what was noted since the last flush; a failed flush keeps its notes for the next one. */
  async flush(): Promise<number> {
    if (this.pending.size === 0) return 0;
    const batch = this.pending;
    this.pending = new Map();
    const tenants: string[] = [];
    const controllerIds: string[] = [];
    const ats: number[] = [];
    for (const [tenant, devices] of batch) {
      for (const [controllerId, at] of devices) {
        tenants.push(tenant);
        controllerIds.push(controllerId);
        ats.push(at);
      }
    }
    try {
      // The columns go as JSON arrays, written by the native JSON.stringify: as array parameters, pg escaped
      // every element in JavaScript, tens of milliseconds of the gateway's event loop per flush of a busy fleet.
      await this.pool.query(
        `INSERT INTO device_last_seen (tenant, controller_id, last_seen_at)
         SELECT t, c, to_timestamp(a::float8 / 1000.0)
           FROM ROWS FROM (json_array_elements_text($1::json), json_array_elements_text($2::json), json_array_elements_text($3::json)) AS u(t, c, a)
         ON CONFLICT (tenant, controller_id) DO UPDATE SET last_seen_at = GREATEST(device_last_seen.last_seen_at, EXCLUDED.last_seen_at)`,
        [JSON.stringify(tenants), JSON.stringify(controllerIds), JSON.stringify(ats)],
      );
      return ats.length;
    } catch (error) {
      // Notes taken since are newer: they stay, the failed batch fills in the rest.
      for (const [tenant, devices] of batch) {
        for (const [controllerId, at] of devices) {
          const current = this.pending.get(tenant)?.get(controllerId);
          if (current === undefined) this.touch(tenant, controllerId, at);
        }
      }
      throw error;
    }
  }
}
