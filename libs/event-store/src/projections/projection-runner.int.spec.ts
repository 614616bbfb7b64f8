import { freshLog, testEvent, type LogFixture } from '../../test/fixtures';
import { streamStatsProjection } from '../../test/stream-stats.projection';
import { ProjectionRunner, rebuildProjection } from '../index';

describe('projections', () => {
  let log: LogFixture;
  beforeEach(async () => {
    log = await freshLog();
  });
  afterEach(() => log.close());

  const snapshot = async () =>
    (await log.pool.query(`SELECT tenant, stream_id, events, total::int, last_version FROM stream_stats ORDER BY tenant, stream_id`)).rows;

  async function writeStreams(streams: number, eventsEach: number, offset = 0): Promise<void> {
    for (let s = 0; s < streams; s += 1) {
      const version = await log.store.streamVersion('acme', `stream-${s}`);
      await log.store.append('acme', `stream-${s}`, version, Array.from({ length: eventsEach }, (_, i) => testEvent(offset + i)));
    }
  }

  it('keeps a read model current and stores its checkpoint with it', async () => {
    const runner = new ProjectionRunner(log.pool, log.store, streamStatsProjection, { batchSize: 10, idleMs: 20 });
    await runner.start();
    await writeStreams(3, 5);
    await runner.catchUp();
    expect(await snapshot()).toEqual([0, 1, 2].map((s) => ({ tenant: 'acme', stream_id: `stream-${s}`, events: 5, total: 10, last_version: 5 })));
    await runner.stop();

    // A second runner starting later resumes from the stored checkpoint: nothing is applied twice.
    await writeStreams(1, 2, 100);
    const again = new ProjectionRunner(log.pool, log.store, streamStatsProjection, { batchSize: 10, idleMs: 20 });
    await again.start();
    await again.catchUp();
    await again.stop();
    expect((await snapshot())[0]).toEqual({ tenant: 'acme', stream_id: 'stream-0', events: 7, total: 10 + 201, last_version: 7 });
  });

  it('refuses to start a read model whose tables are only partly there (its shape changed), naming the rebuild', async () => {
    const twoTables = { ...streamStatsProjection, tables: [...streamStatsProjection.tables, 'stream_stats_extra'] };
    const current = new ProjectionRunner(log.pool, log.store, streamStatsProjection);
    await current.start();
    await current.stop();
    const runner = new ProjectionRunner(log.pool, log.store, twoTables);
    await expect(runner.start()).rejects.toThrow(`read model ${streamStatsProjection.name} has 1 of its 2 tables: its shape changed in this version of Rollgate; rebuild it from the log with \`rollgate projections rebuild ${streamStatsProjection.name}\``);
  });

  it('applies every event once when two instances run the same projection', async () => {
    const first = new ProjectionRunner(log.pool, log.store, streamStatsProjection, { batchSize: 3, idleMs: 10 });
    const second = new ProjectionRunner(log.pool, log.store, streamStatsProjection, { batchSize: 5, idleMs: 10 });
    await Promise.all([first.start(), second.start()]);
    await writeStreams(4, 20);
    await Promise.all([first.catchUp(), second.catchUp()]);
    await Promise.all([first.stop(), second.stop()]);
    expect((await snapshot()).map((r) => r.events)).toEqual([20, 20, 20, 20]);
  });

  it('rebuilds from the log into fresh tables, swaps them in, and equals the live projection', async () => {
    const runner = new ProjectionRunner(log.pool, log.store, streamStatsProjection, { batchSize: 50, idleMs: 10 });
    await runner.start();
    await writeStreams(20, 30);
    await runner.catchUp();
    const live = await snapshot();

    // Writes keep arriving during the rebuild; the swap must include them exactly once.
    const writing = writeStreams(5, 4, 1000);
    const result = await rebuildProjection(log.pool, log.store, streamStatsProjection, 100);
    await writing;
    await runner.catchUp();
    await runner.stop();

    expect(result.eventsReplayed).toBeGreaterThanOrEqual(600);
    const rebuilt = await snapshot();
    const grown = new Set(['stream-0', 'stream-1', 'stream-2', 'stream-3', 'stream-4']);
    const expected = live.map((row) =>
      grown.has(row.stream_id) ? { ...row, events: row.events + 4, total: row.total + 4 * 1000 + 6, last_version: row.last_version + 4 } : row,
    );
    expect(rebuilt).toEqual(expected);
    const leftovers = await log.pool.query(`SELECT tablename FROM pg_tables WHERE tablename LIKE 'stream_stats%'`);
    expect(leftovers.rows.map((r) => r.tablename)).toEqual(['stream_stats']);
  });
});
