import type { CloudEvent } from '@rollgate/contracts';

/** Injection tokens of what the kit provides to every service. */
export const SERVICE_CONFIG = Symbol('rollgate.service-config');
export const PG_POOL = Symbol('rollgate.pg-pool');
export const NATS_CONNECTION = Symbol('rollgate.nats-connection');
/** all migrations the service needs applied: event store, bus, then the service's own */
export const SERVICE_MIGRATIONS = Symbol('rollgate.service-migrations');
/**
 * Optional, provided by a service whose bus handlers often have nothing to do: its `skip(event)` is asked
 * before each handled event's transaction (see ConsumerHostOptions.skipWithoutTransaction).
 */
export const CONSUMER_PREFILTER = Symbol('rollgate.consumer-prefilter');

export interface ConsumerPrefilter {
  skip(event: CloudEvent): Promise<boolean>;
}
