import { Inject, Injectable } from '@nestjs/common';
import { EventStore } from '@rollgate/event-store';
import { PG_POOL } from '@rollgate/service-kit';
import type { Pool } from 'pg';
import { ARTIFACT_EVENTS, artifactStreamId, TRUSTED_KEYS_STREAM_ID, type ArtifactStored, type TrustedKeyAdded } from '@rollgate/contracts';
import { ConcurrencyError } from '@rollgate/shared-domain';
import { referencedContentCounts } from './referenced-content.query';

const SOURCE = 'rollgate/artifact-distributor';

/**
 * What the log knows about a tenant's artifacts and signing keys, read straight from the streams. The
 * streams are tiny (one event per upload or key), so reading them per request is cheaper than keeping a
 * projection in step.
 */
@Injectable()
export class ArtifactCatalog {
  constructor(
    private readonly events: EventStore,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  /**
   * The sha256 that garbage collection must keep: held by some tenant's existing software module, or recorded
   * by an upload at or after `storedSinceMs` (the grace period). See referenced-content.query.ts.
   */
  async referencedContent(storedSinceMs: number): Promise<Set<string>> {
    return new Set((await referencedContentCounts(this.pool, storedSinceMs)).keys());
  }

  /** the latest metadata recorded for this content in this tenant; undefined: the tenant never uploaded it */
  async artifact(tenant: string, sha256: string): Promise<ArtifactStored | undefined> {
    const stream = await this.events.readStream(tenant, artifactStreamId(sha256));
    const stored = stream.filter((e) => e.type === ARTIFACT_EVENTS.stored);
    return stored.at(-1)?.data as ArtifactStored | undefined;
  }

  /**
   * Records an upload. Uploading the same bytes again appends another event (new name or version), so the
   * expected version is the stream's current one; a concurrent upload of the same content makes us retry.
   */
  async recordStored(tenant: string, data: ArtifactStored, actor: string): Promise<void> {
    await this.appendAtHead(tenant, artifactStreamId(data.sha256), { type: ARTIFACT_EVENTS.stored, data, metadata: { source: SOURCE, actor } });
  }

  async trustedKey(tenant: string, keyId: string): Promise<TrustedKeyAdded | undefined> {
    const stream = await this.events.readStream(tenant, TRUSTED_KEYS_STREAM_ID);
    return stream.map((e) => e.data as TrustedKeyAdded).find((k) => k.keyId === keyId);
  }

  /** false when the key id is already taken (a key id never changes its key: signatures refer to it) */
  async addTrustedKey(tenant: string, key: TrustedKeyAdded, actor: string): Promise<boolean> {
    if (await this.trustedKey(tenant, key.keyId)) return false;
    await this.appendAtHead(tenant, TRUSTED_KEYS_STREAM_ID, { type: ARTIFACT_EVENTS.trustedKeyAdded, data: key, metadata: { source: SOURCE, actor } });
    return true;
  }

  private async appendAtHead(tenant: string, streamId: string, event: { type: string; data: unknown; metadata: Record<string, string> }): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      const version = await this.events.streamVersion(tenant, streamId);
      try {
        await this.events.append(tenant, streamId, version, [event]);
        return;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= 5) throw error;
      }
    }
  }
}
