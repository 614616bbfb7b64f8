import type { NatsConnection } from '@nats-io/nats-core';
import { Pool } from 'pg';
import { EventStore, LOG_START, loadCheckpoint, saveCheckpoint, verifyLog } from '@rollgate/event-store';
import { connectTestNats, createTestDatabase, deleteTestStreams, eventually, testBusNames, type TestDatabase, testPool } from '@rollgate/testing';
import { appendTestEvents, logOrder, migrateBusDatabase, readEventsStream, SILENT_LOGGER, streamMessageCount, THING_HAPPENED } from '../test/bus-test-kit';
import { EventRelay, RELAY_CHECKPOINT, type EventRelayOptions } from './event-relay';
import { provisionStreams } from './stream-provisioning';

describe('EventRelay', () => {
  const names = testBusNames();
  let db: TestDatabase;
  let pool: Pool;
  let store: EventStore;
  let nc: NatsConnection;
  const relays: EventRelay[] = [];

  const newRelay = (options: Partial<EventRelayOptions> = {}) => {
    const relay = new EventRelay({ pool, nc, names, batchSize: 500, standbyRetryMs: 100, logger: SILENT_LOGGER, ...options });
    relays.push(relay);
    return relay;
  };
  const relayedAll = async (relay: EventRelay) => {
    const total = (await logOrder(pool)).length;
    return (await streamMessageCount(nc, names.eventsStream)) === total && (await loadCheckpoint(pool, RELAY_CHECKPOINT)).position > 0n && relay.stats.checkpoint !== undefined;
  };

  beforeAll(async () => {
    db = await createTestDatabase('rg_bus_relay');
    await migrateBusDatabase(db.url);
    pool = testPool(db.url, 16);
    store = new EventStore(pool);
    nc = await connectTestNats();
    await provisionStreams(nc, names);
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
  });

  afterAll(async () => {
    await deleteTestStreams(nc, names);
    await nc.close();
    await pool.end();
    await db.drop();
  });

  it('publishes the log in log order with Nats-Msg-Id = event id, seals it and saves its checkpoint', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await appendTestEvents(store, 3000, { perCall: 1000 });
    await store.append('acme', 'traced-1', 0, [{ type: THING_HAPPENED, data: { traced: true }, metadata: { source: 'rollgate/test', traceparent } }]);
    const relay = newRelay();

    await relay.start();
    await eventually(() => relayedAll(relay), 30_000);

    const ids = await logOrder(pool);
    const messages = await readEventsStream(nc, names);
    expect(messages.map((m) => m.msgId)).toEqual(ids);
    expect(messages.map((m) => m.event.id)).toEqual(ids);
    expect(new Set(messages.map((m) => m.subject))).toEqual(new Set([`${names.subjectRoot}.evt.acme.test.thing-happened`]));
    // No OpenTelemetry SDK in this process: the writer's trace context is forwarded unchanged.
    expect(messages[messages.length - 1].traceparent).toBe(traceparent);
    expect(messages.slice(0, -1).every((m) => m.traceparent === undefined)).toBe(true);
    const lastEvent = (await pool.query('SELECT transaction_id::text AS tx, position FROM events ORDER BY transaction_id DESC, position DESC LIMIT 1')).rows[0];
    expect(await loadCheckpoint(pool, RELAY_CHECKPOINT)).toEqual({ transactionId: BigInt(lastEvent.tx), position: BigInt(lastEvent.position) });
    const report = await verifyLog(pool, store);
    expect(report).toMatchObject({ ok: true, eventsChecked: 3001, unsealedEvents: 0 });
    expect(relay.stats).toMatchObject({ stored: 3001, duplicates: 0 });
  });

  it('restarted from its checkpoint publishes only new events; republished ones are dropped as duplicates', async () => {
    const before = await streamMessageCount(nc, names.eventsStream);
    const first = newRelay();
    await first.start();
    await appendTestEvents(store, 200, { offset: 10_000 });
    await eventually(async () => (await streamMessageCount(nc, names.eventsStream)) === before + 200 && first.stats.stored === 200, 20_000);
    await first.stop();

    // A relay that crashed after publishing and before committing restarts from an older checkpoint.
    await saveCheckpoint(pool, RELAY_CHECKPOINT, LOG_START);
    const second = newRelay();
    await second.start();
    await eventually(async () => second.stats.duplicates === before + 200, 30_000);
    await second.stop();

    expect(second.stats.stored).toBe(0);
    expect(await streamMessageCount(nc, names.eventsStream)).toBe(before + 200);
    expect((await readEventsStream(nc, names)).map((m) => m.msgId)).toEqual(await logOrder(pool));
    expect((await verifyLog(pool, store)).ok).toBe(true);
  });

  it('lets exactly one relay per database work: a second stays passive, then takes over when the first stops', async () => {
    const first = newRelay();
    const second = newRelay();
    await first.start();
    await eventually(async () => first.isLeader, 10_000);
    await second.start();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = await streamMessageCount(nc, names.eventsStream);

    await appendTestEvents(store, 100, { offset: 20_000 });
    await eventually(async () => (await streamMessageCount(nc, names.eventsStream)) === before + 100, 20_000);
    expect(second.running).toBe(true);
    expect(second.isLeader).toBe(false);
    expect(second.stats.batches).toBe(0);

    await first.stop();
    await eventually(async () => second.isLeader, 10_000);
    await appendTestEvents(store, 100, { offset: 30_000 });
    await eventually(async () => (await streamMessageCount(nc, names.eventsStream)) === before + 200, 20_000);

    expect(first.isLeader).toBe(false);
    expect(second.stats).toMatchObject({ stored: 100, duplicates: 0 });
    expect((await readEventsStream(nc, names)).map((m) => m.msgId)).toEqual(await logOrder(pool));
  });
});
