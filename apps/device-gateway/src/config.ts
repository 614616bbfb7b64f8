import { Type, type Static } from '@sinclair/typebox';
import Ajv from 'ajv';
import { ConfigError, type Problem, type ServiceDefaults } from '@rollgate/service-kit';

/**
 * device-gateway: the device protocol (hawkBit DDI), device auth and telemetry intake. Its name is also its durable consumer's name on the events stream; every other
 * setting comes from the environment (see libs/service-kit, service-config.ts).
 */
export const DEVICE_GATEWAY_DEFAULTS: ServiceDefaults = { service: 'device-gateway', port: 8081 };

export const GATEWAY_CONFIG = Symbol('rollgate.device-gateway-config');

const GatewayEnvSchema = Type.Object({
  ARTIFACTS_LINK_SECRET: Type.Optional(Type.String({ minLength: 32, description: 'a secret of at least 32 characters (shared with artifact-distributor)' })),
  ARTIFACTS_PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s/]+$', description: 'an http(s)://host[:port] URL without a path' })),
  ARTIFACTS_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s/]+$', description: 'an http(s)://host[:port] URL without a path' })),
  ARTIFACTS_DOWNLOAD_TOKEN: Type.Optional(Type.String({ minLength: 16, pattern: '^\\S+$', description: 'a token of at least 16 characters without spaces' })),
  DDI_RATE_LIMIT_PER_SECOND: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,6}$', description: 'a whole number of requests per second, at least 1' })),
  DDI_RATE_LIMIT_BURST: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,6}$', description: 'a whole number of requests, at least 1' })),
  DDI_MAX_BODY_BYTES: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,9}$', description: 'a whole number of bytes, at least 1' })),
  DDI_TRUSTED_PROXIES: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F.:]+(,[0-9a-fA-F.:]+)*$', description: 'comma-separated IP addresses' })),
  DDI_LAST_SEEN_FLUSH_MS: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,7}$', description: 'a whole number of milliseconds, at least 1' })),
});
type GatewayEnv = Static<typeof GatewayEnvSchema>;

export interface GatewayConfig {
  /** HMAC key of the artifact download links the gateway hands out; unset: no download links */
  linkSecret?: string;
  /** where devices reach artifact-distributor */
  artifactsUrl?: string;
  /** where the gateway reaches artifact-distributor (for region links); ARTIFACTS_PUBLIC_URL when unset */
  distributorUrl?: string;
  /** the distributor's service download token, for its region link endpoint */
  downloadToken?: string;
  /** per device: sustained requests per second, and the burst above it, before 429 */
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  /** DDI request bodies above this are refused with 413 */
  maxBodyBytes: number;
  /** addresses of the TLS-terminating proxies whose client-certificate headers are believed */
  trustedProxies: ReadonlySet<string>;
  lastSeenFlushMs: number;
}

const validate = new Ajv({ allErrors: true, strict: false }).compile<GatewayEnv>(GatewayEnvSchema);

/** Reads the gateway's own settings; throws service-kit's ConfigError naming each invalid variable (never a secret's value). */
export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const raw = Object.fromEntries(Object.keys(GatewayEnvSchema.properties).flatMap((name) => (env[name] ? [[name, env[name]]] : []))) as GatewayEnv;
  if (!validate(raw)) {
    const problems: Problem[] = (validate.errors ?? []).map((error) => {
      const variable = error.instancePath.replace(/^\//, '') as keyof GatewayEnv;
      return { variable, problem: `must be ${GatewayEnvSchema.properties[variable]?.description ?? error.message}` };
    });
    throw new ConfigError(DEVICE_GATEWAY_DEFAULTS.service, problems);
  }
  return {
    linkSecret: raw.ARTIFACTS_LINK_SECRET,
    artifactsUrl: raw.ARTIFACTS_PUBLIC_URL,
    distributorUrl: raw.ARTIFACTS_URL ?? raw.ARTIFACTS_PUBLIC_URL,
    downloadToken: raw.ARTIFACTS_DOWNLOAD_TOKEN,
    rateLimitPerSecond: Number(raw.DDI_RATE_LIMIT_PER_SECOND ?? 20),
    rateLimitBurst: Number(raw.DDI_RATE_LIMIT_BURST ?? 40),
    maxBodyBytes: Number(raw.DDI_MAX_BODY_BYTES ?? 256 * 1024),
    trustedProxies: new Set((raw.DDI_TRUSTED_PROXIES ?? '').split(',').filter(Boolean).map(normalizeAddress)),
    lastSeenFlushMs: Number(raw.DDI_LAST_SEEN_FLUSH_MS ?? 5_000),
  };
}

/** `::ffff:127.0.0.1` (an IPv4 peer on a dual-stack socket) is 127.0.0.1. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}
