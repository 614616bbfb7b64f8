import { jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { EventRelay, provisionStreams } from '@rollgate/bus';
import { EVENT_STORE_MIGRATIONS, EventStore, rebuildProjection, runMigrations, streamCatalogProjection, type NewEvent } from '@rollgate/event-store';
import type { BusNames } from '@rollgate/contracts';
import { connectTestNats, createTestDatabase, deleteTestStreams, testBusNames, testPool } from '@rollgate/testing';
import type { BenchReport, BenchSuite } from '../harness';

/**
 * The spine's throughput, each figure beside the raw reference measured in the same run:
 *   append  vs batched unnest INSERT of the same columns (pg)
 *   relay   vs bare JetStream async publish of messages of the same size (nats.js)
 *   replay  vs a bare sequential keyset SELECT of the same rows (pg)
 */
const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const ROUNDS = 5;
const CHUNK = EVENTS / ROUNDS;
const REPLAY_ROUNDS = 3;
const BATCH = 500;
// The relay's default batch size; the raw reference keeps the same number of publishes in flight.
const PUBLISH_WINDOW = 2000;

export const suite: BenchSuite = {
  name: 'spine',
  description: `append, relay and replay of ${EVENTS.toLocaleString('en-US')} events against raw PostgreSQL and JetStream, interleaved in ${ROUNDS} rounds`,
  async run(report: BenchReport) {
    const db = await createTestDatabase('rg_bench');
    const pool = testPool(db.url, 8);
    // The relay and the raw reference share one connection, configured as the services configure theirs.
    const nc = await connectTestNats({ noAsyncTraces: true });
    const names = testBusNames();
    try {
      await runMigrations(db.url, EVENT_STORE_MIGRATIONS);
      await createRawTable(pool);
      await provisionStreams(nc, names);
      const store = new EventStore(pool);
      const payloads = distinctPayloads(Buffer.byteLength(JSON.stringify(sampleCloudEvent())));
      const rawStream = await createRawStream(nc, names.subjectRoot);

      // Each round times the reference and the subject back to back, alternating which goes first, so the
      // load of a shared machine falls on both alike.
      const append = new Pair();
      const relay = new Pair();
      for (let round = 0; round < ROUNDS; round += 1) {
        const first = round * CHUNK;
        await append.measure(round, () => rawInsertRows(pool, first), () => appendEvents(store, first));
        await relay.measure(round, () => rawPublishMessages(nc, rawStream, payloads), () => relayNewEvents(pool, nc, names, CHUNK));
      }
      report.metric('raw_insert', append.referenceRate(), 'rows/s');
      report.metric('append', append.subjectRate(), 'events/s', { reference: append.referenceRate(), goal: '>= 0.6x raw insert' });
      report.metric('raw_publish', relay.referenceRate(), 'msgs/s');
      report.metric('relay', relay.subjectRate(), 'events/s', { reference: relay.referenceRate(), goal: '>= 0.8x raw publish' });

      const replay = new Pair(EVENTS);
      for (let round = 0; round < REPLAY_ROUNDS; round += 1) {
        await replay.measure(round, () => rawSelectAll(pool), async () => {
          const result = await rebuildProjection(pool, store, streamCatalogProjection);
          if (result.eventsReplayed !== EVENTS) throw new Error(`replayed ${result.eventsReplayed} of ${EVENTS}`);
        });
      }
      report.metric('raw_select', replay.referenceRate(), 'rows/s');
      report.metric('replay', replay.subjectRate(), 'events/s', { reference: replay.referenceRate(), goal: '>= 0.5x raw select and >= 150k/s' });
    } finally {
      await deleteTestStreams(nc, names);
      await jetstreamManager(nc).then((jsm) => jsm.streams.delete(rawStreamName(names.subjectRoot))).catch(() => undefined);
      await nc.close();
      await pool.end();
      await db.drop();
    }
  },
};

/** Accumulated time of a reference and a subject measured in alternating order; rates over all rounds. */
class Pair {
  private referenceSeconds = 0;
  private subjectSeconds = 0;
  private rounds = 0;

  constructor(private readonly itemsPerRound = CHUNK) {}

  async measure(round: number, reference: () => Promise<void>, subject: () => Promise<void>): Promise<void> {
    if (round % 2 === 0) {
      this.referenceSeconds += await seconds(reference);
      this.subjectSeconds += await seconds(subject);
    } else {
      this.subjectSeconds += await seconds(subject);
      this.referenceSeconds += await seconds(reference);
    }
    this.rounds += 1;
  }

  referenceRate(): number {
    return (this.rounds * this.itemsPerRound) / this.referenceSeconds;
  }

  subjectRate(): number {
    return (this.rounds * this.itemsPerRound) / this.subjectSeconds;
  }
}

async function seconds(work: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function sampleData(i: number): Record<string, unknown> {
  return { rolloutId: `r-${i % 97}`, groupId: `g-${i % 7}`, targetId: `device-${i}`, status: 'FINISHED', messages: ['installed', 'rebooted'], progress: { cnt: 3, of: 3 } };
}

function sampleEvent(i: number): NewEvent {
  return { type: 'io.rollgate.action.action-finished.v1', data: sampleData(i), metadata: { source: 'rollgate/bench', actor: 'bench', correlationId: `c-${i % 1000}` } };
}

function sampleCloudEvent(): Record<string, unknown> {
  return {
    specversion: '1.0', id: uuidv7(), source: 'rollgate/bench', type: 'io.rollgate.action.action-finished.v1', time: new Date().toISOString(),
    subject: 'action-0000', datacontenttype: 'application/json', dataschema: 'urn:rollgate:schema:action:action-finished:v1', data: sampleData(0),
    tenant: 'bench', streamid: 'action-0000', streamversion: 1, position: '1', actor: 'bench', correlationid: 'c-0',
  };
}

async function createRawTable(pool: Pool): Promise<void> {
  await pool.query(`CREATE TABLE raw_events (id uuid PRIMARY KEY, tenant text, stream_id text, stream_version int, type text, data jsonb, metadata jsonb, recorded_at timestamptz)`);
}

/** The reference for append: the same columns, the same batching, no checks, no hashes. */
async function rawInsertRows(pool: Pool, first: number): Promise<void> {
  for (let start = first; start < first + CHUNK; start += BATCH) {
    const rows = Array.from({ length: BATCH }, (_, k) => sampleEvent(start + k));
    await pool.query(
      `INSERT INTO raw_events SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::jsonb[], $7::jsonb[], $8::timestamptz[])`,
      [
        rows.map(() => uuidv7()),
        rows.map(() => 'bench'),
        rows.map(() => `raw-${start}`),
        rows.map((_, k) => k + 1),
        rows.map((r) => r.type),
        rows.map((r) => JSON.stringify(r.data)),
        rows.map((r) => JSON.stringify(r.metadata)),
        rows.map(() => new Date().toISOString()),
      ],
    );
  }
}

async function appendEvents(store: EventStore, first: number): Promise<void> {
  for (let start = first; start < first + CHUNK; start += BATCH) {
    await store.append('bench', `action-${start}`, 0, Array.from({ length: BATCH }, (_, k) => sampleEvent(start + k)));
  }
}

function rawStreamName(root: string): string {
  return `${root.toUpperCase()}_RAW`;
}

async function createRawStream(nc: NatsConnection, root: string): Promise<string> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: rawStreamName(root), subjects: [`${root}.raw.>`], storage: StorageType.File, retention: RetentionPolicy.Limits });
  return `${root}.raw.bench`;
}

/**
 * The reference for the relay: bare async publishes, a window in flight, all acked, of distinct JSON strings
 * the size of the relay's CloudEvents (each event is a different message; one reused pre-encoded buffer
 * would skip the per-message encoding and garbage every real publisher has). They are built before timing.
 */
async function rawPublishMessages(nc: NatsConnection, subject: string, payloads: readonly string[]): Promise<void> {
  const js = jetstream(nc);
  let inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < CHUNK; i += 1) {
    inFlight.push(js.publish(subject, payloads[i]));
    if (inFlight.length === PUBLISH_WINDOW) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
}

function distinctPayloads(payloadBytes: number): string[] {
  return Array.from({ length: CHUNK }, (_, i) => JSON.stringify({ n: i, pad: 'x'.repeat(Math.max(0, payloadBytes - 20)) }));
}

/**
 * Runs the relay from its checkpoint until it has published `count` new events, then stops it. Progress
 * is read from the relay's own counters, so the wait adds no requests to the server being measured.
 */
async function relayNewEvents(pool: Pool, nc: NatsConnection, names: BusNames, count: number): Promise<void> {
  const relay = new EventRelay({ pool, nc, names, batchSize: PUBLISH_WINDOW, idleMs: 20 });
  await relay.start();
  const deadline = Date.now() + 300_000;
  while (relay.stats.stored + relay.stats.duplicates < count) {
    if (Date.now() > deadline) throw new Error(`relay stalled at ${relay.stats.stored} of ${count} events`);
    await new Promise((r) => setTimeout(r, 2));
  }
  await relay.stop();
}

/** The reference for replay: a bare keyset SELECT of the same rows through pg, page by page. */
async function rawSelectAll(pool: Pool): Promise<void> {
  let after = '0';
  let total = 0;
  for (;;) {
    const { rows } = await pool.query(`SELECT * FROM events WHERE position > $1 ORDER BY position LIMIT 5000`, [after]);
    if (rows.length === 0) break;
    total += rows.length;
    after = rows[rows.length - 1].position;
  }
  if (total !== EVENTS) throw new Error(`selected ${total} of ${EVENTS}`);
}
