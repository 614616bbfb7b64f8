import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { Pool } from 'pg';
import { EventStore } from '@rollgate/event-store';
import { connectTestNats, createTestDatabase, deleteTestStreams, eventually, NATS_URL, testBusNames, type TestDatabase, testPool } from '@rollgate/testing';
import { appendTestEvents, migrateBusDatabase, SILENT_LOGGER, streamMessageCount, THING_HAPPENED } from '../test/bus-test-kit';
import { busNamesToEnv } from '../test/child-env';
import { ChildScript, compileLibsForChildren, type CompiledLibs } from '../test/child-process-kit';
import { countEvent, counterSnapshot, createCounterTable } from '../test/counter-projection';
import { ConsumerHost } from './consumer-host';
import { EventRelay } from './event-relay';
import { provisionStreams } from './stream-provisioning';

const EVENTS = 4000;

/**
 * The same events are projected twice into per-stream counters: once by a consumer that runs undisturbed,
 * once by a consumer in a child process that is killed with SIGKILL in the middle of a batch (messages
 * delivered, some handled and committed, none of the rest acked) and then restarted. Both read models must
 * be identical: nothing lost, nothing applied twice.
 */
describe('ConsumerHost killed with SIGKILL', () => {
  const names = testBusNames();
  let db: TestDatabase;
  let pool: Pool;
  let nc: NatsConnection;
  let compiled: CompiledLibs;
  const children: ChildScript[] = [];
  let clean: ConsumerHost | undefined;

  const processed = async (consumer: string) =>
    (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM processed_events WHERE consumer = $1', [consumer])).rows[0].n;
  const consumerInfo = async (consumer: string) => (await jetstreamManager(nc)).consumers.info(names.eventsStream, consumer);
  const settled = async (consumer: string) => {
    const info = await consumerInfo(consumer);
    return info.num_pending === 0 && info.num_ack_pending === 0;
  };
  const startConsumerProcess = async () => {
    const child = new ChildScript(compiled.script('consumer-process'), { DATABASE_URL: db.url, NATS_URL, CONSUMER_NAME: 'crashy', ACK_WAIT_MS: '2000', ...busNamesToEnv(names) });
    children.push(child);
    await child.waitFor('ready');
    return child;
  };

  beforeAll(async () => {
    [compiled, db, nc] = await Promise.all([compileLibsForChildren(), createTestDatabase('rg_bus_consumer_kill'), connectTestNats()]);
    await migrateBusDatabase(db.url);
    pool = testPool(db.url, 8);
    await createCounterTable(pool);
    await provisionStreams(nc, names);
    await appendTestEvents(new EventStore(pool), EVENTS, { streams: 40, perCall: 1000 });
    const relay = new EventRelay({ pool, nc, names, logger: SILENT_LOGGER });
    await relay.start();
    await eventually(async () => (await streamMessageCount(nc, names.eventsStream)) === EVENTS, 30_000);
    await relay.stop();
  }, 60_000);

  afterAll(async () => {
    await clean?.stop();
    for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) await child.kill9();
    await deleteTestStreams(nc, names);
    await nc.close();
    await pool.end();
    await db.drop();
    await compiled.remove();
  }, 30_000);

  it('ends with a read model identical to a clean run', async () => {
    clean = new ConsumerHost({ pool, nc, names, durableName: 'clean', handlerFor: (type) => (type === THING_HAPPENED ? countEvent : undefined), logger: SILENT_LOGGER });
    await clean.start();
    await eventually(async () => (await processed('clean')) === EVENTS && (await settled('clean')), 60_000);
    await clean.stop();

    const doomed = await startConsumerProcess();
    await eventually(async () => (await processed('crashy')) >= EVENTS / 3, 30_000, 5);
    await doomed.kill9();
    const atKill = await processed('crashy');
    expect(atKill).toBeLessThan(EVENTS);
    // Delivered to the killed process and never acked: the restarted one gets them after ack_wait.
    expect((await consumerInfo('crashy')).num_ack_pending).toBeGreaterThan(0);

    const restarted = await startConsumerProcess();
    await eventually(async () => (await processed('crashy')) === EVENTS && (await settled('crashy')), 60_000);
    expect(await restarted.terminate()).toEqual({ code: 0, signal: null });

    const expected = await counterSnapshot(pool, 'clean');
    expect(expected).toHaveLength(40);
    expect(expected.reduce((sum, row) => sum + row.events, 0)).toBe(EVENTS);
    expect(await counterSnapshot(pool, 'crashy')).toEqual(expected);
  }, 120_000);
});
