import { Type, type Static } from '@sinclair/typebox';
import Ajv from 'ajv';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigError, type Problem, type ServiceDefaults } from '@rollgate/service-kit';

/**
 * artifact-distributor: content-addressed artifact storage, signatures and resumable downloads. Its name is also its durable consumer's name on the events stream; every other
 * setting comes from the environment (see libs/service-kit, service-config.ts).
 */
export const ARTIFACT_DISTRIBUTOR_DEFAULTS: ServiceDefaults = { service: 'artifact-distributor', port: 8082 };

/** 2 GiB: large enough for full OS images, small enough that one upload cannot fill a typical volume. */
export const DEFAULT_MAX_ARTIFACT_BYTES = 2 * 1024 ** 3;

const ArtifactsEnvSchema = Type.Object({
  ARTIFACTS_DIR: Type.Optional(Type.String({ minLength: 1, description: 'a directory path' })),
  ARTIFACTS_MAX_BYTES: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'a whole number of bytes, at least 1' })),
  ARTIFACTS_UPLOAD_TOKEN: Type.Optional(Type.String({ minLength: 16, pattern: '^\\S+$', description: 'a token of at least 16 characters without spaces' })),
  ARTIFACTS_DOWNLOAD_TOKEN: Type.Optional(Type.String({ minLength: 16, pattern: '^\\S+$', description: 'a token of at least 16 characters without spaces' })),
  ARTIFACTS_LINK_SECRET: Type.Optional(Type.String({ minLength: 32, description: 'a secret of at least 32 characters' })),
  ARTIFACTS_UPSTREAM_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s/]+$', description: 'an http(s)://host[:port] URL without a path' })),
  ARTIFACTS_PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s/]+$', description: 'an http(s)://host[:port] URL without a path' })),
  ARTIFACTS_GC_GRACE_MS: Type.Optional(Type.String({ pattern: '^[0-9]{1,12}$', description: 'a whole number of milliseconds' })),
  ARTIFACTS_MEMORY_CACHE_BYTES: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'a whole number of bytes (0 keeps nothing in memory)' })),
});

/** An hour: far longer than any upload takes between storing its blob and recording its event. */
export const DEFAULT_GC_GRACE_MS = 3_600_000;

/** 64 MiB of small blobs (each up to 1 MiB) kept in memory: a rollout's updates, not the whole store. */
export const DEFAULT_MEMORY_CACHE_BYTES = 64 * 1024 * 1024;
type ArtifactsEnv = Static<typeof ArtifactsEnvSchema>;

export interface ArtifactsConfig {
  /** where the content-addressed store keeps its blobs */
  dir: string;
  maxBytes: number;
  /** bearer token for uploads and key registration; unset refuses them (503) */
  uploadToken?: string;
  /** bearer token for service-to-service downloads (caches, tools); unset: signed links only */
  downloadToken?: string;
  /** HMAC key of signed download links; unset: no signed links are accepted */
  linkSecret?: string;
  /** unreferenced blobs younger than this survive garbage collection */
  gcGraceMs: number;
  /** small blobs kept in memory once read and verified (see storage/hot-content.ts); 0 keeps none */
  memoryCacheBytes: number;
  /** set: this instance is a region cache that fills itself from this central store */
  upstreamUrl?: string;
  /** the central store's address as devices reach it, for the links it hands out */
  publicUrl?: string;
}

const validate = new Ajv({ allErrors: true, strict: false }).compile<ArtifactsEnv>(ArtifactsEnvSchema);

/** Reads the distributor's own settings; throws service-kit's ConfigError naming each invalid variable. */
export function loadArtifactsConfig(env: NodeJS.ProcessEnv = process.env): ArtifactsConfig {
  const raw = Object.fromEntries(Object.keys(ArtifactsEnvSchema.properties).flatMap((name) => (env[name] ? [[name, env[name]]] : []))) as ArtifactsEnv;
  if (!validate(raw)) {
    const problems: Problem[] = (validate.errors ?? []).map((error) => {
      const variable = error.instancePath.replace(/^\//, '') as keyof ArtifactsEnv;
      // Token values are secrets: the message names the rule, never the value.
      return { variable, problem: `must be ${ArtifactsEnvSchema.properties[variable]?.description ?? error.message}` };
    });
    throw new ConfigError(ARTIFACT_DISTRIBUTOR_DEFAULTS.service, problems);
  }
  if (raw.ARTIFACTS_UPSTREAM_URL && !raw.ARTIFACTS_DOWNLOAD_TOKEN) {
    // A cache authenticates to the central store with the download token; without it every fill would fail.
    throw new ConfigError(ARTIFACT_DISTRIBUTOR_DEFAULTS.service, [{ variable: 'ARTIFACTS_DOWNLOAD_TOKEN', problem: 'must be set when ARTIFACTS_UPSTREAM_URL is (the cache uses it to fill from the central store)' }]);
  }
  return {
    dir: raw.ARTIFACTS_DIR ? (isAbsolute(raw.ARTIFACTS_DIR) ? raw.ARTIFACTS_DIR : resolve(raw.ARTIFACTS_DIR)) : join(repositoryRoot(), '.data', 'artifacts'),
    maxBytes: raw.ARTIFACTS_MAX_BYTES ? Number(raw.ARTIFACTS_MAX_BYTES) : DEFAULT_MAX_ARTIFACT_BYTES,
    uploadToken: raw.ARTIFACTS_UPLOAD_TOKEN,
    downloadToken: raw.ARTIFACTS_DOWNLOAD_TOKEN,
    linkSecret: raw.ARTIFACTS_LINK_SECRET,
    gcGraceMs: raw.ARTIFACTS_GC_GRACE_MS ? Number(raw.ARTIFACTS_GC_GRACE_MS) : DEFAULT_GC_GRACE_MS,
    memoryCacheBytes: raw.ARTIFACTS_MEMORY_CACHE_BYTES ? Number(raw.ARTIFACTS_MEMORY_CACHE_BYTES) : DEFAULT_MEMORY_CACHE_BYTES,
    upstreamUrl: raw.ARTIFACTS_UPSTREAM_URL,
    publicUrl: raw.ARTIFACTS_PUBLIC_URL,
  };
}

/** The workspace root (where nx.json is), the same from the sources and from dist/. */
function repositoryRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'nx.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}
