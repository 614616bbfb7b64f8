import type { NatsConnection } from '@nats-io/nats-core';
import { Pool } from 'pg';
import { EventStore, loadCheckpoint, verifyLog } from '@rollgate/event-store';
import { connectTestNats, createTestDatabase, deleteTestStreams, eventually, NATS_URL, testBusNames, type TestDatabase, testPool } from '@rollgate/testing';
import { appendTestEvents, logOrder, migrateBusDatabase, readEventsStream, streamMessageCount } from '../test/bus-test-kit';
import { busNamesToEnv } from '../test/child-env';
import { ChildScript, compileLibsForChildren, type CompiledLibs } from '../test/child-process-kit';
import { RELAY_CHECKPOINT } from './event-relay';
import { provisionStreams } from './stream-provisioning';

const TOTAL = 50_000;
const PREWRITTEN = 25_000;

/**
 * The relay runs in a child process and is killed with SIGKILL while it publishes, repeatedly, while a
 * writer keeps appending; a last relay finishes the job. JetStream must end up holding the log exactly: every
 * event once, in log order.
 */
describe('EventRelay killed with SIGKILL', () => {
  const names = testBusNames();
  let db: TestDatabase;
  let pool: Pool;
  let store: EventStore;
  let nc: NatsConnection;
  let compiled: CompiledLibs;
  const children: ChildScript[] = [];

  const streamCount = () => streamMessageCount(nc, names.eventsStream);
  const checkpointedEvents = async () => {
    const checkpoint = await loadCheckpoint(pool, RELAY_CHECKPOINT);
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE (transaction_id, position) <= ($1::text::xid8, $2::bigint)', [
      checkpoint.transactionId.toString(),
      checkpoint.position.toString(),
    ]);
    return Number(rows[0].n);
  };
  const startRelay = async () => {
    const child = new ChildScript(compiled.script('relay-process'), { DATABASE_URL: db.url, NATS_URL, RELAY_BATCH_SIZE: '1000', ...busNamesToEnv(names) });
    children.push(child);
    await child.waitFor('ready');
    return child;
  };

  beforeAll(async () => {
    [compiled, db, nc] = await Promise.all([compileLibsForChildren(), createTestDatabase('rg_bus_relay_kill'), connectTestNats()]);
    await migrateBusDatabase(db.url);
    pool = testPool(db.url, 8);
    store = new EventStore(pool);
    await provisionStreams(nc, names);
  }, 60_000);

  afterAll(async () => {
    for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) await child.kill9();
    await deleteTestStreams(nc, names);
    await nc.close();
    await pool.end();
    await db.drop();
    await compiled.remove();
  }, 30_000);

  it('leaves every one of 50,000 events in JetStream exactly once, in log order', async () => {
    await appendTestEvents(store, PREWRITTEN);
    const writer = (async () => {
      for (let offset = PREWRITTEN; offset < TOTAL; offset += 1000) {
        await appendTestEvents(store, 1000, { offset });
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();

    // Kill until one kill lands with events in JetStream beyond the saved checkpoint (published, not yet
    // committed): the case that dedup must absorb. Publishing is most of the relay's time, so it comes soon.
    let kills = 0;
    let killsAheadOfCheckpoint = 0;
    while ((killsAheadOfCheckpoint === 0 || kills < 2) && kills < 8) {
      const before = await streamCount();
      const relay = await startRelay();
      await eventually(async () => (await streamCount()) >= before + 5_500 + 1_337 * kills, 30_000, 5);
      await relay.kill9();
      kills += 1;
      const inStream = await streamCount();
      expect(inStream).toBeLessThan(TOTAL);
      const checkpointed = await checkpointedEvents();
      if (inStream > checkpointed) killsAheadOfCheckpoint += 1;
    }
    expect(killsAheadOfCheckpoint).toBeGreaterThanOrEqual(1);

    await writer;
    const last = await startRelay();
    await eventually(async () => (await streamCount()) >= TOTAL && (await checkpointedEvents()) === TOTAL, 60_000, 100);
    expect(await last.terminate()).toEqual({ code: 0, signal: null });

    const ids = await logOrder(pool);
    const messages = await readEventsStream(nc, names);
    expect(ids).toHaveLength(TOTAL);
    expect(messages).toHaveLength(TOTAL);
    expect(messages.map((m) => m.msgId)).toEqual(ids);
    expect(messages.map((m) => m.event.id)).toEqual(ids);
    expect(await verifyLog(pool, store)).toMatchObject({ ok: true, eventsChecked: TOTAL, unsealedEvents: 0 });
  }, 120_000);
});
