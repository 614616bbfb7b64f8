/** Injection tokens of what the kit provides to every service. */
export const SERVICE_CONFIG = Symbol('rollgate.service-config');
export const PG_POOL = Symbol('rollgate.pg-pool');
export const NATS_CONNECTION = Symbol('rollgate.nats-connection');
/** all migrations the service needs applied: event store, bus, then the service's own */
export const SERVICE_MIGRATIONS = Symbol('rollgate.service-migrations');
