import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager } from '@nats-io/jetstream';
import type { BusNames } from '@rollgate/contracts';
import { NATS_URL, runToken } from './infra-urls';

/** Stream names and a subject root of its own for one test file, so runs never see each other's messages. */
export function testBusNames(): BusNames {
  const token = runToken();
  return {
    subjectRoot: `t${token}`,
    eventsStream: `T${token.toUpperCase()}_EVENTS`,
    telemetryStream: `T${token.toUpperCase()}_TELEMETRY`,
  };
}

/** A connection to the test NATS; `noAsyncTraces` as the services set it (see service-kit). */
/** The variables a service reads its bus names from, for a service started on this test's names. */
export function serviceBusEnv(names: BusNames): Record<string, string> {
  return { ROLLGATE_SUBJECT_ROOT: names.subjectRoot, ROLLGATE_EVENTS_STREAM: names.eventsStream, ROLLGATE_TELEMETRY_STREAM: names.telemetryStream };
}

export async function connectTestNats(options: { noAsyncTraces?: boolean } = {}): Promise<NatsConnection> {
  return connect({ servers: NATS_URL, name: 'rollgate-test', ...options });
}

/** Deletes the run's streams (and with them their consumers). */
export async function deleteTestStreams(nc: NatsConnection, names: BusNames): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const stream of [names.eventsStream, names.telemetryStream]) {
    await jsm.streams.delete(stream).catch(() => undefined);
  }
}
