import { Inject, Injectable } from '@nestjs/common';
import { EventStore } from '@rollgate/event-store';
import { PG_POOL } from '@rollgate/service-kit';
import type { RegionCache } from '@rollgate/artifacts-domain';
import { ARTIFACT_EVENTS, ARTIFACT_SYSTEM_TENANT, regionCacheStreamId, type RegionCacheRegistered } from '@rollgate/contracts';
import type { Pool } from 'pg';

/**
 * The region caches: who they are comes from the log (registered by operators), whether they are up comes
 * from their heartbeats, kept in memory only. Heartbeats every few seconds from every cache are not audit
 * data and would flood the log; a restarted distributor simply waits one heartbeat interval before it
 * sends devices to caches again (they get the central store meanwhile). With several distributor
 * instances each sees the heartbeats sent to it; caches send them to all (or through a shared KV later).
 */
@Injectable()
export class RegionCacheRegistry {
  private readonly lastHeartbeat = new Map<string, number>();

  constructor(
    private readonly events: EventStore,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  async register(cache: RegionCacheRegistered, actor: string): Promise<void> {
    const streamId = regionCacheStreamId(cache.cacheId);
    const version = await this.events.streamVersion(ARTIFACT_SYSTEM_TENANT, streamId);
    await this.events.append(ARTIFACT_SYSTEM_TENANT, streamId, version, [
      { type: ARTIFACT_EVENTS.regionCacheRegistered, data: cache, metadata: { source: 'rollgate/artifact-distributor', actor } },
    ]);
  }

  /** false when no such cache was registered */
  async heartbeat(cacheId: string, nowMs: number): Promise<boolean> {
    if ((await this.events.streamVersion(ARTIFACT_SYSTEM_TENANT, regionCacheStreamId(cacheId))) === 0) return false;
    this.lastHeartbeat.set(cacheId, nowMs);
    return true;
  }

  /** every registered cache with its latest registration and last heartbeat (0: none since start) */
  async caches(): Promise<RegionCache[]> {
    const { rows } = await this.pool.query<{ data: RegionCacheRegistered }>(
      `SELECT DISTINCT ON (stream_id) data FROM events WHERE tenant = $1 AND type = $2 ORDER BY stream_id, stream_version DESC`,
      [ARTIFACT_SYSTEM_TENANT, ARTIFACT_EVENTS.regionCacheRegistered],
    );
    return rows.map(({ data }) => ({ id: data.cacheId, region: data.region, baseUrl: data.baseUrl, lastHealthyAt: this.lastHeartbeat.get(data.cacheId) ?? 0 }));
  }
}
