/**
 * Branded ids: a `TenantId` cannot be passed where a `StreamId` is expected, at no runtime cost.
 */
export type Brand<T, B extends string> = T & { readonly __brand: B };
export type TenantId = Brand<string, 'TenantId'>;
export type StreamId = Brand<string, 'StreamId'>;
export type EventId = Brand<string, 'EventId'>;

const TENANT_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Tenants appear in NATS subjects and SQL values, so they are restricted to a safe alphabet. */
export function isValidTenant(value: string): value is TenantId {
  return TENANT_PATTERN.test(value);
}

/** A stream is named `<aggregate>-<id>`; the aggregate name is the part before the first dash. */
export function streamIdOf(aggregate: string, id: string): StreamId {
  return `${aggregate}-${id}` as StreamId;
}
