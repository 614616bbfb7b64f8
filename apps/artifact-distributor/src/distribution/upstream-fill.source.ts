import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ArtifactStored } from '@rollgate/contracts';
import { ArtifactHttpError } from '../storage/content-errors';
import type { ContentStore } from '../storage/content-store';
import type { ArtifactSource } from './artifact-source';

export interface UpstreamOptions {
  upstreamUrl: string;
  downloadToken: string;
  dir: string;
  maxBytes: number;
}

/**
 * A region cache's view of artifacts: what it has filled before (metadata in a small JSON file beside the
 * blobs), else a fill from the central store on this first miss. The fill streams through the hashing
 * store, so the cache keeps the bytes only if their sha256 is the one asked for: corrupted or substituted
 * upstream content is never served. The central store decides whether the tenant owns the artifact (its
 * 404 is ours).
 */
export class UpstreamFillSource implements ArtifactSource {
  /** concurrent misses for the same artifact share one fill */
  private readonly filling = new Map<string, Promise<ArtifactStored | undefined>>();

  constructor(
    private readonly store: ContentStore,
    private readonly options: UpstreamOptions,
  ) {}

  async resolve(tenant: string, sha256: string): Promise<ArtifactStored | undefined> {
    const known = await this.filled(tenant, sha256);
    if (known) return known;
    const key = `${tenant}/${sha256}`;
    let fill = this.filling.get(key);
    if (!fill) {
      fill = this.fill(tenant, sha256).finally(() => this.filling.delete(key));
      this.filling.set(key, fill);
    }
    return fill;
  }

  private async filled(tenant: string, sha256: string): Promise<ArtifactStored | undefined> {
    const meta = await readFile(this.metaPath(tenant, sha256), 'utf8').catch(() => undefined);
    if (meta === undefined) return undefined;
    const artifact = JSON.parse(meta) as ArtifactStored;
    // Metadata without its blob (removed by gc or by hand) means fill again.
    return (await this.store.size(sha256)) === artifact.size ? artifact : undefined;
  }

  private async fill(tenant: string, sha256: string): Promise<ArtifactStored | undefined> {
    const response = await fetch(`${this.options.upstreamUrl}/artifacts/v1/${tenant}/${sha256}`, { headers: { authorization: `Bearer ${this.options.downloadToken}` } }).catch((error: unknown) => {
      throw new ArtifactHttpError(502, 'upstream_unreachable', `the central store is unreachable: ${error instanceof Error ? error.message : String(error)}`);
    });
    // 410: the central store collected the content (no module holds it); for this cache it is simply unknown.
    if (response.status === 404 || response.status === 410) return undefined;
    if (response.status !== 200 || !response.body) throw new ArtifactHttpError(502, 'upstream_failed', `the central store answered ${response.status}`);
    const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    const stored = await this.store.put(body, { maxBytes: this.options.maxBytes }).catch((error: unknown) => {
      throw new ArtifactHttpError(502, 'upstream_failed', `the transfer from the central store failed: ${error instanceof Error ? error.message : String(error)}`);
    });
    if (stored.sha256 !== sha256) {
      if (stored.created) await this.store.remove(stored.sha256);
      throw new ArtifactHttpError(502, 'upstream_content_mismatch', `the central store sent content whose sha256 is ${stored.sha256}, not ${sha256}`);
    }
    const fileName = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? sha256;
    const artifact: ArtifactStored = { sha256, sha1: stored.sha1, md5: stored.md5, size: stored.size, fileName };
    const path = this.metaPath(tenant, sha256);
    await mkdir(dirname(path), { recursive: true });
    // Temp file and rename: a reader never sees half a JSON document.
    await writeFile(`${path}.tmp`, JSON.stringify(artifact));
    await rename(`${path}.tmp`, path);
    return artifact;
  }

  private metaPath(tenant: string, sha256: string): string {
    return join(this.options.dir, 'meta', tenant, `${sha256}.json`);
  }
}
