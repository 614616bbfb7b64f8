import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { Pool } from 'pg';
import type { CloudEvent } from '@rollgate/contracts';
import { connectTestNats, createTestDatabase, deleteTestStreams, eventually, testBusNames, type TestDatabase, testPool } from '@rollgate/testing';
import { cloudEvent, migrateBusDatabase, SILENT_LOGGER, THING_HAPPENED } from '../test/bus-test-kit';
import { ConsumerHost, type ConsumerHostOptions, type EventHandler } from './consumer-host';
import { provisionStreams } from './stream-provisioning';

const OTHER_THING = 'io.rollgate.test.other-thing.v1';

describe('ConsumerHost', () => {
  const names = testBusNames();
  let db: TestDatabase;
  let pool: Pool;
  let nc: NatsConnection;
  let js: JetStreamClient;
  const hosts: ConsumerHost[] = [];

  /** A handler with a real effect in the host's transaction: one `handled` row per application. */
  const recordHandled: EventHandler = async (event, { tx, consumer, deliveryCount }) => {
    await tx.query('INSERT INTO handled (consumer, event_id, delivery) VALUES ($1, $2, $3)', [consumer, event.id, deliveryCount]);
  };
  const newHost = (tenant: string, options: Partial<ConsumerHostOptions> = {}) => {
    const host = new ConsumerHost({
      pool,
      nc,
      names,
      durableName: `host-${tenant}`,
      filterSubject: `${names.subjectRoot}.evt.${tenant}.>`,
      handlerFor: (type) => (type === THING_HAPPENED ? recordHandled : undefined),
      logger: SILENT_LOGGER,
      ...options,
    });
    hosts.push(host);
    return host;
  };
  const subjectOf = (tenant: string, event = 'thing-happened') => `${names.subjectRoot}.evt.${tenant}.test.${event}`;
  const publish = async (tenant: string, event: CloudEvent | string, msgID?: string) => {
    const subject = typeof event === 'string' ? subjectOf(tenant) : subjectOf(tenant, event.type.split('.')[3]);
    await js.publish(subject, typeof event === 'string' ? event : JSON.stringify(event), msgID ? { msgID } : undefined);
  };
  const handledIds = async (consumer: string) =>
    (await pool.query<{ event_id: string }>('SELECT event_id FROM handled WHERE consumer = $1 ORDER BY n', [consumer])).rows.map((r) => r.event_id);
  const settled = async (host: ConsumerHost) => {
    const info = await (await jetstreamManager(nc)).consumers.info(names.eventsStream, host.consumer);
    return info.num_pending === 0 && info.num_ack_pending === 0;
  };

  beforeAll(async () => {
    db = await createTestDatabase('rg_bus_consumer');
    await migrateBusDatabase(db.url);
    pool = testPool(db.url, 10);
    await pool.query('CREATE TABLE handled (n bigserial PRIMARY KEY, consumer text NOT NULL, event_id uuid NOT NULL, delivery int NOT NULL)');
    nc = await connectTestNats();
    js = jetstream(nc);
    await provisionStreams(nc, names);
  }, 30_000);

  afterEach(async () => {
    await Promise.all(hosts.splice(0).map((h) => h.stop()));
  });

  afterAll(async () => {
    await deleteTestStreams(nc, names);
    await nc.close();
    await pool.end();
    await db.drop();
  });

  it('handles each event once, in stream order, and acks types it has no handler for', async () => {
    const events = Array.from({ length: 30 }, (_, i) => cloudEvent('t-order', `s-${i % 3}`, i + 1));
    for (const [i, event] of events.entries()) {
      await publish('t-order', event);
      if (i % 6 === 0) await publish('t-order', cloudEvent('t-order', 'other', i + 1, { type: OTHER_THING }));
    }
    const host = newHost('t-order');

    await host.start();
    expect(host.attached).toBe(true);
    await eventually(async () => (await handledIds(host.consumer)).length === 30 && (await settled(host)), 20_000);

    expect(await handledIds(host.consumer)).toEqual(events.map((e) => e.id));
    expect(host.stats).toMatchObject({ applied: 30, skipped: 5, duplicates: 0, deadLettered: 0 });
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM processed_events WHERE consumer = $1', [host.consumer]);
    expect(rows[0].n).toBe(30);
  }, 30_000);

  it('applies an event delivered twice only once, and acks both deliveries', async () => {
    const event = cloudEvent('t-dup', 's', 1);
    await publish('t-dup', event, 'first-copy');
    await publish('t-dup', event, 'second-copy');
    const host = newHost('t-dup');

    await host.start();
    await eventually(async () => host.stats.applied + host.stats.duplicates === 2 && (await settled(host)), 20_000);

    expect(host.stats).toMatchObject({ applied: 1, duplicates: 1 });
    expect(await handledIds(host.consumer)).toEqual([event.id]);
  }, 30_000);

  it('dead-letters malformed messages at once, and keeps going', async () => {
    const good = cloudEvent('t-bad', 's', 1);
    await publish('t-bad', 'not json {');
    await publish('t-bad', JSON.stringify({ hello: 'world' }));
    await publish('t-bad', cloudEvent('t-bad', 's', 1, { id: 'not-a-uuid' }));
    await publish('t-bad', good);
    const host = newHost('t-bad');

    await host.start();
    await eventually(async () => (await handledIds(host.consumer)).length === 1 && (await settled(host)), 20_000);

    expect(await handledIds(host.consumer)).toEqual([good.id]);
    const letters = await host.listDeadLetters();
    expect(letters).toHaveLength(3);
    expect(letters.map((l) => l.deliveries)).toEqual([1, 1, 1]);
    expect(letters[0]).toMatchObject({ consumer: host.consumer, subject: subjectOf('t-bad'), eventId: null, eventType: null });
    expect(letters[0].payload.toString()).toBe('not json {');
    expect(letters[0].error).toMatch(/not JSON/);
    expect(letters[1].error).toMatch(/not a Rollgate CloudEvent/);
    expect(letters[2].error).toMatch(/not a uuid/);
    expect(letters[0].streamSequence).toBeLessThan(letters[1].streamSequence);
  }, 30_000);

  it('retries a failing handler maxDeliver times, dead-letters the event, and replays it once fixed', async () => {
    let broken = true;
    const deliveries: number[] = [];
    const flaky: EventHandler = async (event, ctx) => {
      await recordHandled(event, ctx);
      if (event.streamid !== 'flaky') return;
      deliveries.push(ctx.deliveryCount);
      if (broken) throw new Error('downstream unavailable');
    };
    const failing = cloudEvent('t-fail', 'flaky', 1);
    const after = cloudEvent('t-fail', 'steady', 1);
    await publish('t-fail', failing);
    await publish('t-fail', after);
    const host = newHost('t-fail', { maxDeliver: 3, backoffMs: [50, 100], handlerFor: (type) => (type === THING_HAPPENED ? flaky : undefined) });

    await host.start();
    await eventually(async () => (await host.listDeadLetters()).length === 1 && (await settled(host)), 20_000);

    expect(deliveries).toEqual([1, 2, 3]);
    expect(host.stats).toMatchObject({ retried: 2, deadLettered: 1 });
    // The failed attempts rolled back their writes; the event behind it was handled meanwhile.
    expect(await handledIds(host.consumer)).toEqual([after.id]);
    const [letter] = await host.listDeadLetters();
    expect(letter).toMatchObject({ eventId: failing.id, eventType: THING_HAPPENED, deliveries: 3, error: 'downstream unavailable', replayedAt: null });

    await expect(host.replayDeadLetter(letter.id)).rejects.toThrow('downstream unavailable');
    expect((await host.listDeadLetters())[0].replayError).toBe('downstream unavailable');

    broken = false;
    await host.replayDeadLetter(letter.id);
    await host.replayDeadLetter(letter.id);

    expect(await handledIds(host.consumer)).toEqual([after.id, failing.id]);
    expect(deliveries).toEqual([1, 2, 3, 4, 4]);
    expect(await host.listDeadLetters()).toEqual([]);
    const [replayed] = await host.listDeadLetters(10, { includeReplayed: true });
    expect(replayed.replayedAt).toBeInstanceOf(Date);
    expect(replayed.replayError).toBeNull();
  }, 30_000);

  it('given a skip check, when it says an event needs nothing, then the event is acked without a transaction or a record', async () => {
    const skipped = cloudEvent('t-skip', 's', 1);
    const kept = cloudEvent('t-skip', 's', 2);
    const host = newHost('t-skip', { skipWithoutTransaction: async (event) => event.id === skipped.id });
    await publish('t-skip', skipped);
    await publish('t-skip', kept);
    await host.start();

    await eventually(async () => (await handledIds(host.consumer)).length === 1 && (await settled(host)), 10_000);
    expect(await handledIds(host.consumer)).toEqual([kept.id]);
    const recorded = await pool.query('SELECT event_id FROM processed_events WHERE consumer = $1', [host.consumer]);
    expect(recorded.rows.map((r) => r.event_id)).toEqual([kept.id]);
    expect(host.stats).toMatchObject({ applied: 1, skipped: 1 });
  });

  it('given its consumer is deleted under it, when events follow, then it recreates the consumer and handles them', async () => {
    const host = newHost('t-deleted');
    await host.start();
    const before = cloudEvent('t-deleted', 's', 1);
    await publish('t-deleted', before);
    await eventually(async () => (await handledIds(host.consumer)).length === 1, 10_000);

    await (await jetstreamManager(nc)).consumers.delete(names.eventsStream, host.consumer);
    await eventually(async () => (await (await jetstreamManager(nc)).consumers.info(names.eventsStream, host.consumer).then(() => true, () => false)) || undefined, 20_000);
    const after = cloudEvent('t-deleted', 's', 2);
    await publish('t-deleted', after);

    await eventually(async () => (await handledIds(host.consumer)).length === 2, 20_000);
    expect(await handledIds(host.consumer)).toEqual([before.id, after.id]);
  }, 60_000);

  it('stops gracefully: the handler in flight commits and acks, the rest goes to the next host', async () => {
    let started = 0;
    const slow: EventHandler = async (event, ctx) => {
      started += 1;
      await new Promise((resolve) => setTimeout(resolve, 300));
      await recordHandled(event, ctx);
    };
    const events = Array.from({ length: 5 }, (_, i) => cloudEvent('t-stop', 's', i + 1));
    for (const event of events) await publish('t-stop', event);
    const first = newHost('t-stop', { handlerFor: () => slow });

    await first.start();
    await eventually(async () => started === 1, 10_000);
    await first.stop();

    expect(first.attached).toBe(false);
    expect(first.stats.applied).toBe(1);
    expect(await handledIds(first.consumer)).toEqual([events[0].id]);

    const second = newHost('t-stop', { handlerFor: () => slow });
    await second.start();
    await eventually(async () => (await handledIds(second.consumer)).length === 5 && (await settled(second)), 20_000);

    expect(await handledIds(second.consumer)).toEqual(events.map((e) => e.id));
    expect(second.stats).toMatchObject({ applied: 4, duplicates: 0 });
  }, 30_000);
});
