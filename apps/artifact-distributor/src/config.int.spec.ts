import { join } from 'node:path';
import type * as KitModule from '@rollgate/service-kit';
import { loadBuilt, WORKSPACE_ROOT } from '../test/built-workspace';
import type * as ConfigFile from './config';

// The config module imports the service kit (NestJS, ES modules only), so it is loaded from dist/.
const { ConfigError } = loadBuilt<typeof KitModule>('libs/service-kit/src/index.ts');
const { loadArtifactsConfig, DEFAULT_MAX_ARTIFACT_BYTES, DEFAULT_GC_GRACE_MS, DEFAULT_MEMORY_CACHE_BYTES } = loadBuilt<typeof ConfigFile>('apps/artifact-distributor/src/config.ts');

describe('artifact-distributor configuration', () => {
  it('defaults to .data/artifacts under the repository root, 2 GiB, and no credentials', () => {
    expect(loadArtifactsConfig({})).toEqual({ dir: join(WORKSPACE_ROOT, '.data', 'artifacts'), maxBytes: DEFAULT_MAX_ARTIFACT_BYTES, uploadToken: undefined, downloadToken: undefined, linkSecret: undefined, gcGraceMs: DEFAULT_GC_GRACE_MS, memoryCacheBytes: DEFAULT_MEMORY_CACHE_BYTES, upstreamUrl: undefined, publicUrl: undefined });
    expect(() => loadArtifactsConfig({ ARTIFACTS_UPSTREAM_URL: 'http://central:8082' })).toThrow(/ARTIFACTS_DOWNLOAD_TOKEN must be set/);
    expect(DEFAULT_MAX_ARTIFACT_BYTES).toBe(2 ** 31);
  });

  it('fails fast naming every invalid variable, without printing secrets', () => {
    let caught: unknown;
    try {
      loadArtifactsConfig({ ARTIFACTS_MAX_BYTES: '0', ARTIFACTS_UPLOAD_TOKEN: 'short-secret', ARTIFACTS_LINK_SECRET: 'too-short', ARTIFACTS_GC_GRACE_MS: '-1' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const message = (caught as Error).message;
    for (const variable of ['ARTIFACTS_MAX_BYTES', 'ARTIFACTS_UPLOAD_TOKEN', 'ARTIFACTS_LINK_SECRET', 'ARTIFACTS_GC_GRACE_MS']) expect(message).toContain(variable);
    expect(message).not.toContain('short-secret');
  });
});
