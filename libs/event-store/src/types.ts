/** Who and what caused an event; travels with it into the CloudEvent extensions. */
export interface EventMetadata {
  /** the service that wrote it: `rollgate/<service>` */
  source?: string;
  correlationId?: string;
  causationId?: string;
  /** W3C trace context of the writing span, so a trace spans producer, relay and consumers */
  traceparent?: string;
  /** the user, token or service that issued the command */
  actor?: string;
  [key: string]: unknown;
}

/** An event to append. `id` (UUIDv7) is generated when absent; give it to make a retried append idempotent. */
export interface NewEvent<T = unknown> {
  id?: string;
  type: string;
  data: T;
  metadata?: EventMetadata;
}

export interface StoredEvent<T = unknown> {
  /** global position (bigserial; not commit order, see Checkpoint) */
  position: bigint;
  /** id of the transaction that wrote it (xid8) */
  transactionId: bigint;
  id: string;
  tenant: string;
  streamId: string;
  streamVersion: number;
  type: string;
  data: T;
  metadata: EventMetadata;
  recordedAt: Date;
  prevHash: Buffer | null;
  hash: Buffer;
}

/**
 * A place in the global log: events are read in (transactionId, position) order, which, below the oldest
 * open transaction, is a stable total order in which nothing can appear later.
 */
export interface Checkpoint {
  transactionId: bigint;
  position: bigint;
}

export const LOG_START: Checkpoint = Object.freeze({ transactionId: 0n, position: 0n });

export function checkpointOf(event: Pick<StoredEvent, 'transactionId' | 'position'>): Checkpoint {
  return { transactionId: event.transactionId, position: event.position };
}

export function isAfter(event: Pick<StoredEvent, 'transactionId' | 'position'>, checkpoint: Checkpoint): boolean {
  return event.transactionId > checkpoint.transactionId || (event.transactionId === checkpoint.transactionId && event.position > checkpoint.position);
}

/** `'any'` skips the check; `0` means the stream must not exist yet; `n` means it must be at version n. */
export type ExpectedVersion = number | 'any';

export interface AppendRequest {
  tenant: string;
  streamId: string;
  expectedVersion: ExpectedVersion;
  events: NewEvent[];
}

export interface AppendResult {
  streamId: string;
  /** version of the stream after the append */
  version: number;
  /** ids of the appended events, in order (generated ones included) */
  eventIds: string[];
  /** true when every event id was already in the log: the append was a retry and changed nothing */
  duplicate: boolean;
}

/** A log event as the relay needs it: its place in the log, its hash (for seals) and its CloudEvent text. */
export interface RelayRecord {
  position: bigint;
  transactionId: bigint;
  id: string;
  tenant: string;
  type: string;
  hash: Buffer;
  /** the writer's trace context, when it had one */
  traceparent: string | undefined;
  /** the structured-mode CloudEvent, rendered by PostgreSQL (see EventStore.readCloudEvents) */
  cloudEvent: string;
}

/** What a log reader must give back so that it can be tailed and sealed. */
export type LogPosition = Pick<StoredEvent, 'transactionId' | 'position'>;
