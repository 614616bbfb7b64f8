import { EVENT_STORE_MIGRATIONS, inTransaction, LOG_START, readLogPageLazily, runMigrations, type Checkpoint, type StoredEvent } from '@rollgate/event-store';
import { createTestDatabase, testPool, type TestDatabase } from '@rollgate/testing';
import { Pool, type PoolClient } from 'pg';
import { LogWriter, TENANT, type PlannedRollout } from '../../test/scheduler.harness';
import { loadBuilt } from '../../test/built-workspace';
import type * as DynamicJoinerFile from '../engine/dynamic-joiner';
import type * as PacerFile from '../engine/pacer';
import type * as RollbackFile from '../engine/rollback.orchestrator';
import type * as EngineFile from '../engine/scheduler-engine';
import type { SchedulerEngine } from '../engine/scheduler-engine';
import type * as MigrationsFile from '../migrations/scheduler.migrations';
import type * as TimerStoreFile from '../timers/timer.store';
import type * as StreamWriterFile from '../writes/stream-writer';
import type * as RunnerFile from './action-progress.runner';
import type { ActionProgressRunner } from './action-progress.runner';
import type * as ProgressFile from './group-progress.store';

// The compiled tree (see built-workspace.ts): the engine and the runner log through Nest, which Jest cannot load.
const src = 'apps/group-scheduler/src';
const { DynamicJoiner } = loadBuilt<typeof DynamicJoinerFile>(`${src}/engine/dynamic-joiner.ts`);
const { Pacer } = loadBuilt<typeof PacerFile>(`${src}/engine/pacer.ts`);
const { RollbackOrchestrator } = loadBuilt<typeof RollbackFile>(`${src}/engine/rollback.orchestrator.ts`);
const { SchedulerEngine: Engine } = loadBuilt<typeof EngineFile>(`${src}/engine/scheduler-engine.ts`);
const { SCHEDULER_MIGRATIONS } = loadBuilt<typeof MigrationsFile>(`${src}/migrations/scheduler.migrations.ts`);
const { TimerStore } = loadBuilt<typeof TimerStoreFile>(`${src}/timers/timer.store.ts`);
const { StreamWriter } = loadBuilt<typeof StreamWriterFile>(`${src}/writes/stream-writer.ts`);
const { ActionProgressRunner: Runner } = loadBuilt<typeof RunnerFile>(`${src}/progress/action-progress.runner.ts`);
const { GroupProgressStore } = loadBuilt<typeof ProgressFile>(`${src}/progress/group-progress.store.ts`);

/**
 * The counters' batches against PostgreSQL, driven batch by batch (no log tailing): a scheduler instance is
 * a runner with its own engine, writer caches and remembered ranges, as in its own process.
 */
describe('ActionProgressRunner against PostgreSQL', () => {
  let db: TestDatabase;
  let pool: Pool;
  let log: LogWriter;
  /** statements sent by the runners, one entry per round trip */
  const sent: string[] = [];
  const noted = new WeakSet<PoolClient>();

  beforeAll(async () => {
    db = await createTestDatabase('rg_sched_counters');
    await runMigrations(db.url, [...EVENT_STORE_MIGRATIONS, ...SCHEDULER_MIGRATIONS]);
    pool = testPool(db.url, 6);
    log = new LogWriter(pool);
  }, 30_000);

  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  /** A scheduler instance's counters, on a pool whose connections note every statement they send. */
  function instance(): { runner: ActionProgressRunner; engine: SchedulerEngine } {
    const writer = new StreamWriter(log.store);
    const progress = new GroupProgressStore();
    const timers = new TimerStore();
    const pacer = new Pacer({ freezeWindows: [], timerPollMs: 50, pollingOverdueMs: 3_600_000, dynamicFlushMs: 60_000 }, progress, timers);
    const engine = new Engine(writer, progress, timers, pacer, new RollbackOrchestrator(pool, writer), new DynamicJoiner(pool, writer, timers, 60_000), 3_600_000);
    const noting = Object.create(pool) as Pool;
    noting.connect = (async () => {
      const client = await pool.connect();
      if (noted.has(client)) return client;
      noted.add(client);
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        sent.push(typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string }).text));
        return query(...args);
      };
      return client;
    }) as Pool['connect'];
    return { runner: new Runner(noting, log.store, progress, timers, engine), engine };
  }

  /** The log after `after`, up to its head. */
  async function readAfter(after: Checkpoint): Promise<StoredEvent[]> {
    return readLogPageLazily(pool, after, 10_000, { hashes: false });
  }

  const at = (e: StoredEvent): Checkpoint => ({ transactionId: e.transactionId, position: e.position });
  const finished = async (groupId: string) => (await pool.query(`SELECT finished FROM scheduler_groups WHERE tenant = $1 AND group_id = $2`, [TENANT, groupId])).rows[0].finished as number;

  /** Creates and starts a rollout; the engine starts its first group as the bus's rollout-starting would have it. */
  async function started(rolloutId: string, sizes: number[], engine: SchedulerEngine): Promise<PlannedRollout> {
    const r = await log.createRollout(rolloutId, sizes.map((size) => ({ size })));
    await log.rolloutCommand(rolloutId, { type: 'start-rollout', by: 'admin', at: Date.now() });
    const starting = (await log.stream(`rollout-${rolloutId}`)).find((e) => e.type.endsWith('.rollout-starting.v1'))!;
    await inTransaction(pool, (tx: PoolClient) => engine.react(tx, TENANT, [{ streamId: `rollout-${rolloutId}`, type: 'rollout-starting', data: starting.data, eventId: starting.id }]));
    expect(await log.types(`rolloutgroup-${r.groups[0].groupId}`)).toContain('group-started');
    return r;
  }

  /** Counting from the log's head on: device `position` of the first group finishes, and its batch is applied alone. */
  async function counting(runner: ActionProgressRunner, r: PlannedRollout): Promise<(position: number) => Promise<void>> {
    let after = at((await readAfter(LOG_START)).at(-1)!);
    return async (position) => {
      await log.device(r, 0, position, 'finished');
      const batch = await readAfter(after);
      after = at(batch.at(-1)!);
      sent.length = 0;
      await runner.applyBatch(batch);
    };
  }

  it('counts a batch once across instances: a batch another instance got into first moves only its fresh part, also in the first round trip', async () => {
    const a = instance();
    const b = instance();
    const r = await started('twice', [4], a.engine);
    const groupId = r.groups[0].groupId;
    const head = (await readAfter(LOG_START)).at(-1)!;

    await log.device(r, 0, 0, 'finished');
    const first = await readAfter(at(head));
    await b.runner.applyBatch(first);
    expect(await finished(groupId)).toBe(1);

    // B now knows the group's range and the rollout: its next batch goes with the first round trip.
    await log.device(r, 0, 1, 'finished');
    await log.device(r, 0, 2, 'finished');
    const second = await readAfter(at(first.at(-1)!));
    const deviceOne = second.filter((e) => e.streamId === `action-${r.groups[0].firstActionId + 1}`);
    await a.runner.applyBatch(deviceOne);
    expect(await finished(groupId)).toBe(2);
    sent.length = 0;
    await b.runner.applyBatch(second);
    // The counters' statement went with BEGIN, moved nothing (A had counted device 1), and the fresh part
    // (device 2) was counted on its own.
    expect(sent[0]).toMatch(/^BEGIN;.*UPDATE scheduler_groups/s);
    expect(await finished(groupId)).toBe(3);

    // Once more by A, which has counted everything of it: nothing moves.
    await a.runner.applyBatch(second);
    expect(await finished(groupId)).toBe(3);
  });

  it('takes two round trips for a batch of a known group that crosses no threshold, and cascades in the same transaction when it does', async () => {
    const { runner, engine } = instance();
    const r = await started('lead', [3], engine);
    const groupId = r.groups[0].groupId;
    const count = await counting(runner, r);

    await count(0);
    await count(1);
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatch(/^BEGIN;.*UPDATE scheduler_groups.*FROM events WHERE tenant = .*FROM events WHERE tenant = /s);
    expect(sent[1]).toMatch(/^INSERT INTO log_checkpoints.*COMMIT$/s);
    expect(await finished(groupId)).toBe(2);

    await count(2);
    expect(await finished(groupId)).toBe(3);
    const types = await log.types(`rolloutgroup-${groupId}`);
    expect(types.filter((t) => t === 'group-success-condition-met')).toHaveLength(1);
    expect(await log.types('rollout-lead')).toContain('rollout-finished');
  });

  it('judges a crossing batch with the streams of its first round trip and writes report, cascade and next start as one append', async () => {
    const { runner, engine } = instance();
    const r = await started('crossing', [2, 2], engine);
    const count = await counting(runner, r);

    await count(0);
    await count(1);
    // The rollout, the judged group and the group to start next were read with BEGIN; nothing read after.
    expect(sent[0]).toMatch(/^BEGIN;.*UPDATE scheduler_groups(.*FROM events WHERE tenant = ){3}/s);
    expect(sent.slice(1).filter((q) => q.includes('FROM events WHERE tenant = '))).toHaveLength(0);
    expect(sent.filter((q) => q.startsWith('COPY events'))).toHaveLength(1);
    expect(await log.types(`rolloutgroup-${r.groups[1].groupId}`)).toContain('group-started');
    // In the log, in the order decided: the report, the rollout's reaction, the next group's start.
    const written = (await readAfter(LOG_START)).filter((e) => e.metadata?.source === 'rollgate/group-scheduler').slice(-6).map((e) => e.type.split('.')[3]);
    expect(written).toEqual(['group-success-condition-met', 'group-finished', 'rollout-group-succeeded', 'rollout-group-triggered', 'rollout-group-completed', 'group-started']);
  });
});
