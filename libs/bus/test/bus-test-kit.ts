import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import type { BusNames, CloudEvent } from '@rollgate/contracts';
import { EVENT_STORE_MIGRATIONS, runMigrations, type AppendRequest, type EventStore } from '@rollgate/event-store';
import { BUS_MIGRATIONS } from '../src';
import type { BusLogger } from '../src';

/** For tests that provoke failures on purpose. */
export const SILENT_LOGGER: BusLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export async function migrateBusDatabase(url: string): Promise<void> {
  await runMigrations(url, [...EVENT_STORE_MIGRATIONS, ...BUS_MIGRATIONS]);
}

export const THING_HAPPENED = 'io.rollgate.test.thing-happened.v1';

/**
 * Appends `count` events spread round-robin over `streams` streams, in appendMany calls of `perCall`
 * events (one transaction each): fast enough for tens of thousands of events.
 */
export async function appendTestEvents(store: EventStore, count: number, options: { streams?: number; perCall?: number; tenant?: string; offset?: number } = {}): Promise<void> {
  const { streams = 50, perCall = 5000, tenant = 'acme', offset = 0 } = options;
  for (let start = 0; start < count; start += perCall) {
    const byStream = new Map<string, AppendRequest>();
    for (let n = start; n < Math.min(start + perCall, count); n += 1) {
      const streamId = `thing-${(offset + n) % streams}`;
      const request = byStream.get(streamId) ?? { tenant, streamId, expectedVersion: 'any', events: [] };
      request.events.push({ type: THING_HAPPENED, data: { n: offset + n }, metadata: { source: 'rollgate/test' } });
      byStream.set(streamId, request);
    }
    await store.appendMany([...byStream.values()]);
  }
}

/** Event ids of the whole log, in log order (what the relay must reproduce on the stream). */
export async function logOrder(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>('SELECT id FROM events ORDER BY transaction_id, position');
  return rows.map((r) => r.id);
}

export interface StreamedMessage {
  seq: number;
  subject: string;
  msgId: string | undefined;
  traceparent: string | undefined;
  event: CloudEvent;
}

export async function streamMessageCount(nc: NatsConnection, stream: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info(stream)).state.messages;
}

/** Every message of the events stream in stream order, read with an ordered (ephemeral) consumer. */
export async function readEventsStream(nc: NatsConnection, names: BusNames): Promise<StreamedMessage[]> {
  const jsm = await jetstreamManager(nc);
  const lastSeq = (await jsm.streams.info(names.eventsStream)).state.last_seq;
  const messages: StreamedMessage[] = [];
  if (lastSeq === 0) return messages;
  const consumer = await jetstream(nc).consumers.get(names.eventsStream);
  const iterator = await consumer.consume({ max_messages: 1000 });
  for await (const m of iterator) {
    messages.push({ seq: m.seq, subject: m.subject, msgId: m.headers?.get('Nats-Msg-Id') || undefined, traceparent: m.headers?.get('traceparent') || undefined, event: m.json<CloudEvent>() });
    if (m.seq >= lastSeq) break;
  }
  await iterator.close();
  return messages;
}

/** A structurally valid CloudEvent for publishing straight to the bus (consumer tests need no relay). */
export function cloudEvent(tenant: string, streamId: string, version: number, overrides: Partial<CloudEvent> = {}): CloudEvent {
  return {
    specversion: '1.0',
    id: uuidv7(),
    source: 'rollgate/test',
    type: THING_HAPPENED,
    time: new Date().toISOString(),
    subject: streamId,
    datacontenttype: 'application/json',
    dataschema: 'urn:rollgate:schema:test:thing-happened:v1',
    data: { version },
    tenant,
    streamid: streamId,
    streamversion: version,
    position: String(version),
    ...overrides,
  };
}
