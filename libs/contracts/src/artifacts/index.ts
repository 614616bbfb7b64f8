// Event payload schemas of the artifact-distributor (io.rollgate.artifact.*), and the shape of the signed
// download links that device-gateway hands out and the distributor checks.
import { Type, type Static } from '@sinclair/typebox';
import { eventType } from '../event-type';

export const ARTIFACT_EVENTS = {
  /** content was uploaded (or uploaded again) for a tenant: its hashes and the uploader's metadata */
  stored: eventType('artifact', 'artifact-stored'),
  /** a tenant trusts an Ed25519 public key for artifact signatures */
  trustedKeyAdded: eventType('artifact', 'trusted-key-added'),
  /** an operator registered (or re-registered, moved) a region cache */
  regionCacheRegistered: eventType('artifact', 'region-cache-registered'),
} as const;

/**
 * Region caches are infrastructure shared by all tenants; their streams live under this reserved tenant.
 * (Tenant names come from the planner, which must refuse this one.)
 */
export const ARTIFACT_SYSTEM_TENANT = 'rollgate-system';

export function regionCacheStreamId(cacheId: string): string {
  return `artifact-cache-${cacheId}`;
}

export const RegionCacheRegisteredSchema = Type.Object(
  {
    cacheId: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
    region: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
    /** where devices download from, e.g. https://cache-eu-1.example.com */
    baseUrl: Type.String({ pattern: '^https?://[^\\s/]+(/[^\\s]*)?$' }),
  },
  { additionalProperties: false, $id: 'https://rollgate.io/schemas/artifact/region-cache-registered.v1.json' },
);
export type RegionCacheRegistered = Static<typeof RegionCacheRegisteredSchema>;

/** One stream per tenant and content: the artifact's identity is its sha256. */
export function artifactStreamId(sha256: string): string {
  return `artifact-${sha256}`;
}

/** One stream per tenant for the keys it trusts. */
export const TRUSTED_KEYS_STREAM_ID = 'artifact-trusted-keys';

const Hex = (length: number) => Type.String({ pattern: `^[0-9a-f]{${length}}$` });

export const ArtifactSignatureSchema = Type.Object(
  {
    algorithm: Type.Literal('ed25519'),
    keyId: Type.String({ minLength: 1, maxLength: 128 }),
    /** base64 of the 64-byte signature over the artifact's raw 32-byte sha256 digest */
    value: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);
export type ArtifactSignature = Static<typeof ArtifactSignatureSchema>;

export const ArtifactStoredSchema = Type.Object(
  {
    sha256: Hex(64),
    sha1: Hex(40),
    md5: Hex(32),
    size: Type.Integer({ minimum: 0 }),
    fileName: Type.String({ minLength: 1, maxLength: 255 }),
    version: Type.Optional(Type.String({ maxLength: 128 })),
    architecture: Type.Optional(Type.String({ maxLength: 64 })),
    signature: Type.Optional(ArtifactSignatureSchema),
  },
  { additionalProperties: false, $id: 'https://rollgate.io/schemas/artifact/artifact-stored.v1.json' },
);
export type ArtifactStored = Static<typeof ArtifactStoredSchema>;

export const TrustedKeyAddedSchema = Type.Object(
  {
    keyId: Type.String({ minLength: 1, maxLength: 128 }),
    algorithm: Type.Literal('ed25519'),
    /** base64 of the raw 32-byte Ed25519 public key */
    publicKey: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false, $id: 'https://rollgate.io/schemas/artifact/trusted-key-added.v1.json' },
);
export type TrustedKeyAdded = Static<typeof TrustedKeyAddedSchema>;

/**
 * The bytes a download link's HMAC-SHA256 covers (key: ARTIFACTS_LINK_SECRET, shared by device-gateway and
 * artifact-distributor). Query parameters of a link: `expires` (epoch seconds) and `signature` (hex).
 * Newline-separated because none of the parts may contain one (tenants and hashes are restricted).
 */
export function downloadLinkPayload(tenant: string, sha256: string, expiresEpochSeconds: number): string {
  return `rollgate-artifact-link-v1\n${tenant}\n${sha256}\n${expiresEpochSeconds}`;
}
