import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Pool } from 'pg';
import type { CloudEvent } from '@rollgate/contracts';
import { connectTestNats, createTestDatabase, deleteTestStreams, eventually, testBusNames, type TestDatabase, testPool } from '@rollgate/testing';
import { cloudEvent, migrateBusDatabase, SILENT_LOGGER, THING_HAPPENED } from '../test/bus-test-kit';
import { consumerFilterFor, supportsMultiFilter } from './consumer-filter';
import { ConsumerHost, type ConsumerHostOptions, type EventHandler } from './consumer-host';
import { provisionStreams } from './stream-provisioning';

const OTHER_THING = 'io.rollgate.test.other-thing.v1';
const UNRELATED = 'io.rollgate.unrelated.thing-noticed.v1';

/** Each test uses its own bus names: a consumer filtered by type sees every tenant of the stream. */
describe('ConsumerHost filtered by handled event types', () => {
  let db: TestDatabase;
  let pool: Pool;
  let nc: NatsConnection;
  const hosts: ConsumerHost[] = [];
  const allNames: Array<ReturnType<typeof testBusNames>> = [];

  const recordHandled: EventHandler = async (event, { tx, consumer }) => {
    await tx.query('INSERT INTO handled (consumer, event_id) VALUES ($1, $2)', [consumer, event.id]);
  };
  const handledIds = async (consumer: string) =>
    (await pool.query<{ event_id: string }>('SELECT event_id FROM handled WHERE consumer = $1 ORDER BY n', [consumer])).rows.map((r) => r.event_id);

  const freshBus = async () => {
    const names = testBusNames();
    allNames.push(names);
    await provisionStreams(nc, names);
    const js: JetStreamClient = jetstream(nc);
    const publish = async (event: CloudEvent | string, type = THING_HAPPENED) => {
      const [, , aggregate, name] = (typeof event === 'string' ? type : event.type).split('.');
      await js.publish(`${names.subjectRoot}.evt.acme.${aggregate}.${name}`, typeof event === 'string' ? event : JSON.stringify(event));
    };
    const newHost = (options: Partial<ConsumerHostOptions> = {}) => {
      const host = new ConsumerHost({ pool, nc, names, durableName: 'filtered', handlerFor: (type) => (type === THING_HAPPENED ? recordHandled : undefined), logger: SILENT_LOGGER, ...options });
      hosts.push(host);
      return host;
    };
    const consumerInfo = async () => (await jetstreamManager(nc)).consumers.info(names.eventsStream, 'filtered');
    const settled = async () => {
      const info = await consumerInfo();
      return info.num_pending === 0 && info.num_ack_pending === 0;
    };
    return { names, publish, newHost, consumerInfo, settled };
  };

  beforeAll(async () => {
    db = await createTestDatabase('rg_bus_filter');
    await migrateBusDatabase(db.url);
    pool = testPool(db.url, 10);
    await pool.query('CREATE TABLE handled (n bigserial PRIMARY KEY, consumer text NOT NULL, event_id uuid NOT NULL)');
    nc = await connectTestNats();
  }, 30_000);

  afterEach(async () => {
    await Promise.all(hosts.splice(0).map((h) => h.stop()));
    await pool.query('TRUNCATE handled, processed_events, dead_letters');
  });

  afterAll(async () => {
    for (const names of allNames) await deleteTestStreams(nc, names);
    await nc.close();
    await pool.end();
    await db.drop();
  });

  it('is delivered only the subjects of its handled type', async () => {
    const bus = await freshBus();
    const handled = [1, 2, 3].map((v) => cloudEvent('acme', 's', v));
    for (const event of handled) {
      await bus.publish(event);
      await bus.publish(cloudEvent('acme', 'o', (event.data as { version: number }).version, { type: OTHER_THING }));
    }
    const host = bus.newHost({ eventTypes: [THING_HAPPENED] });

    await host.start();
    await eventually(async () => (await handledIds(host.consumer)).length === 3 && (await bus.settled()), 20_000);

    expect(await handledIds(host.consumer)).toEqual(handled.map((e) => e.id));
    expect((await bus.consumerInfo()).config.filter_subject).toBe(`${bus.names.subjectRoot}.evt.*.test.thing-happened`);
    // The other type never reached the process.
    expect(host.stats).toMatchObject({ applied: 3, skipped: 0 });
  }, 30_000);

  it('acks unread the subjects it does not handle when its filter must be wider, and still dead-letters malformed handled ones', async () => {
    const bus = await freshBus();
    const types = [THING_HAPPENED, UNRELATED];
    const good = cloudEvent('acme', 's', 1);
    await bus.publish('not json {', OTHER_THING);
    await bus.publish('not json either {', THING_HAPPENED);
    await bus.publish(good);
    const host = bus.newHost({ eventTypes: types });

    await host.start();
    await eventually(async () => (await handledIds(host.consumer)).length === 1 && (await bus.settled()), 20_000);

    const expected = consumerFilterFor(bus.names, types, supportsMultiFilter(nc.info?.version))!.subjects;
    const config = (await bus.consumerInfo()).config;
    expect(config.filter_subjects?.length ? config.filter_subjects : [config.filter_subject]).toEqual(expected);
    expect(await handledIds(host.consumer)).toEqual([good.id]);
    const letters = await host.listDeadLetters();
    expect(letters.map((l) => l.payload.toString())).toEqual(['not json either {']);
  }, 30_000);

  it('replaces a consumer that received every event by a filtered one that resumes after its ack floor', async () => {
    const bus = await freshBus();
    const before = [1, 2, 3].map((v) => cloudEvent('acme', 's', v));
    for (const event of before) await bus.publish(event);
    const unfiltered = bus.newHost();
    await unfiltered.start();
    await eventually(async () => (await handledIds(unfiltered.consumer)).length === 3 && (await bus.settled()), 20_000);
    await unfiltered.stop();
    expect((await bus.consumerInfo()).config.filter_subject).toBe(`${bus.names.subjectRoot}.evt.>`);

    const after = [4, 5].map((v) => cloudEvent('acme', 's', v));
    for (const event of after) {
      await bus.publish(event);
      await bus.publish(cloudEvent('acme', 'o', 1, { type: OTHER_THING }));
    }
    const filtered = bus.newHost({ eventTypes: [THING_HAPPENED] });
    await filtered.start();
    await eventually(async () => (await handledIds(filtered.consumer)).length === 5 && (await bus.settled()), 20_000);

    expect(await handledIds(filtered.consumer)).toEqual([...before, ...after].map((e) => e.id));
    expect((await bus.consumerInfo()).config.filter_subject).toBe(`${bus.names.subjectRoot}.evt.*.test.thing-happened`);
    // Nothing before the ack floor came again, nothing after it was skipped.
    expect(filtered.stats).toMatchObject({ applied: 2, duplicates: 0, skipped: 0 });
  }, 30_000);

  it('still refuses to change an explicitly chosen filter subject', async () => {
    const bus = await freshBus();
    await bus.newHost({ eventTypes: [THING_HAPPENED] }).start();
    const explicit = bus.newHost({ filterSubject: `${bus.names.subjectRoot}.evt.acme.>` });
    await expect(explicit.start()).rejects.toMatchObject({ code: 'consumer_filter_changed' });
  }, 30_000);
});
