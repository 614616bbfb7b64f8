import { DiscardPolicy, jetstreamManager, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig, type StreamInfo } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/nats-core';
import { allEventsSubject, allTelemetrySubject, type BusNames } from '@rollgate/contracts';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

export interface StreamProvisioningOptions {
  /**
   * How long the events stream keeps messages. The log in PostgreSQL is the system of record, so the stream
   * only has to hold what a consumer may still need to catch up on; a read model older than this is rebuilt
   * from the log. Default 30 days; 0 keeps messages forever.
   */
  eventsMaxAgeMs?: number;
  /** Size cap of the events stream in bytes (oldest discarded first); default -1, unlimited. */
  eventsMaxBytes?: number;
  /** How long telemetry samples are kept; default 24 h. They are not audit data (verdicts go to the log). */
  telemetryMaxAgeMs?: number;
  /** Size cap of the telemetry stream in bytes; default -1, unlimited (the age limit bounds it). */
  telemetryMaxBytes?: number;
  /** Stream replicas: 1 on one machine, 3 on a NATS cluster. */
  replicas?: number;
}

/**
 * The relay sets `Nats-Msg-Id` to the event id; a relay that crashes after publishing and before saving its
 * checkpoint republishes at most one batch, which this window turns into no-ops.
 */
export const EVENTS_DUPLICATE_WINDOW_MS = 2 * MINUTE_MS;

export const DEFAULT_EVENTS_MAX_AGE_MS = 30 * DAY_MS;
export const DEFAULT_TELEMETRY_MAX_AGE_MS = DAY_MS;

export interface ProvisionedStreams {
  events: StreamInfo;
  telemetry: StreamInfo;
}

/**
 * Creates the events and telemetry streams, or brings an existing stream's limits up to date. Safe to run
 * at every service start, from every service at once.
 */
export async function provisionStreams(nc: NatsConnection, names: BusNames, options: StreamProvisioningOptions = {}): Promise<ProvisionedStreams> {
  const jsm = await jetstreamManager(nc);
  const events = await createOrUpdate(jsm, eventsStreamConfig(names, options));
  const telemetry = await createOrUpdate(jsm, telemetryStreamConfig(names, options));
  return { events, telemetry };
}

type ProvisionedConfig = Partial<StreamConfig> & { name: string; subjects: string[] };

export function eventsStreamConfig(names: BusNames, options: StreamProvisioningOptions = {}): ProvisionedConfig {
  return {
    name: names.eventsStream,
    subjects: [allEventsSubject(names)],
    // Limits retention: every consumer reads at its own pace and the stream keeps messages for all of them.
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(options.eventsMaxAgeMs ?? DEFAULT_EVENTS_MAX_AGE_MS),
    max_bytes: options.eventsMaxBytes ?? -1,
    duplicate_window: nanos(EVENTS_DUPLICATE_WINDOW_MS),
    num_replicas: options.replicas ?? 1,
  };
}

export function telemetryStreamConfig(names: BusNames, options: StreamProvisioningOptions = {}): ProvisionedConfig {
  const maxAgeMs = options.telemetryMaxAgeMs ?? DEFAULT_TELEMETRY_MAX_AGE_MS;
  return {
    name: names.telemetryStream,
    subjects: [allTelemetrySubject(names)],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(maxAgeMs),
    max_bytes: options.telemetryMaxBytes ?? -1,
    // The server refuses a duplicate window longer than the max age.
    duplicate_window: nanos(Math.min(EVENTS_DUPLICATE_WINDOW_MS, maxAgeMs)),
    num_replicas: options.replicas ?? 1,
  };
}

async function createOrUpdate(jsm: JetStreamManager, config: ProvisionedConfig): Promise<StreamInfo> {
  try {
    await jsm.streams.info(config.name);
  } catch (error) {
    if (!isStreamNotFound(error)) throw error;
    try {
      return await jsm.streams.add(config);
    } catch (addError) {
      // Another instance created it between our info and add: fall through to the update.
      if (!(addError instanceof JetStreamApiError)) throw addError;
    }
  }
  // Storage and retention cannot change on an existing stream; everything we set besides them can.
  const { name, storage: _storage, retention: _retention, ...updatable } = config;
  return jsm.streams.update(name, updatable);
}

function isStreamNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
}
