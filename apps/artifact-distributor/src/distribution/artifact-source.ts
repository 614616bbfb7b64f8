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
