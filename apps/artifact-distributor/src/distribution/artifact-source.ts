import type { ArtifactStored } from '@rollgate/contracts';

/**
 * Where the download controller learns what a tenant's artifact is: the log (central store) or, on a
 * region cache, its upstream (filled on first miss).
 */
export interface ArtifactSource {
  /** undefined: the tenant has no such artifact */
  resolve(tenant: string, sha256: string): Promise<ArtifactStored | undefined>;
}

export const ARTIFACT_SOURCE = Symbol('rollgate.artifact-source');

/**
 * A source whose answers are remembered for `ttlMs`. A rollout's devices ask for the same artifact thousands
 * of times a minute (a link from device-gateway, then the download), and each answer was a read of the
 * artifact's stream in the log. Only found artifacts are remembered, so a new upload is served at once; a
 * re-upload's new metadata (its file name) shows within `ttlMs`. Removed content is the store's business
 * (the download checks the blob itself), so nothing here can serve what garbage collection took.
 */
export function rememberingSource(source: ArtifactSource, ttlMs: number, clock: () => number = Date.now, maxEntries = 10_000): ArtifactSource {
  const remembered = new Map<string, { artifact: ArtifactStored; until: number }>();
  return {
    async resolve(tenant, sha256) {
      const key = `${tenant}\u0000${sha256}`;
      const hit = remembered.get(key);
      if (hit && hit.until > clock()) return hit.artifact;
      const artifact = await source.resolve(tenant, sha256);
      remembered.delete(key);
      if (artifact) {
        // The oldest goes first: a Map iterates in insertion order.
        if (remembered.size >= maxEntries) remembered.delete(remembered.keys().next().value as string);
        remembered.set(key, { artifact, until: clock() + ttlMs });
      }
      return artifact;
    },
  };
}
