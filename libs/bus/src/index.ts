export * from './stream-provisioning';
export * from './event-relay';
export * from './consumer-host';
export * from './bus-migrations';
export type { DeadLetter } from './dead-letters';
export type { BusLogger } from './bus-logger';
export { decodeBusEvent, type ApplyOutcome } from './idempotent-apply';
export * from './consumer-filter';
