import { eventually } from '@rollgate/testing';
import { freshLog, testEvent, wholeReadableLog, type LogFixture } from '../test/fixtures';
import { checkpointOf, LOG_START, tailLog, type StoredEvent } from './index';

describe('reading the global log while transactions commit out of order', () => {
  let log: LogFixture;
  beforeAll(async () => {
    log = await freshLog();
  });
  afterAll(() => log.close());

  it('never returns an event past a transaction that is still open, and returns it once that commits', async () => {
    const slow = await log.pool.connect();
    try {
      // The slow transaction takes its position (and xid) first, then stays open.
      await slow.query('BEGIN');
      await log.store.appendInTransaction(slow, [{ tenant: 'acme', streamId: 'slow-1', expectedVersion: 0, events: [testEvent(1)] }]);
      await log.store.append('acme', 'fast-1', 0, [testEvent(2)]);
      await log.store.append('acme', 'fast-2', 0, [testEvent(3)]);

      // Both fast events are committed, but a reader must not move past the open transaction.
      expect(await log.store.readAll(LOG_START, 100)).toEqual([]);

      await slow.query('COMMIT');
      // xids are cluster-wide: an open transaction in any other database (a parallel test) can hold the
      // horizon back a little longer, so wait for it rather than expecting it at once.
      const events = await eventually(async () => {
        const page = await log.store.readAll(LOG_START, 100);
        return page.length === 3 ? page : undefined;
      });
      expect(events.map((e) => e.streamId)).toEqual(['slow-1', 'fast-1', 'fast-2']);
    } finally {
      slow.release();
    }
  });

  it('delivers every event exactly once to a tailer while writers race and one transaction commits late', async () => {
    const start = await wholeReadableLog(log.store);
    const from = start.length ? checkpointOf(start[start.length - 1]) : LOG_START;
    const abort = new AbortController();
    const seen: StoredEvent[] = [];
    const tailing = (async () => {
      for await (const batch of tailLog(log.pool, log.store, from, { batchSize: 7, idleMs: 10, signal: abort.signal })) seen.push(...batch);
    })();

    const slow = await log.pool.connect();
    await slow.query('BEGIN');
    await log.store.appendInTransaction(slow, [{ tenant: 'acme', streamId: 'late', expectedVersion: 0, events: [testEvent(0)] }]);
    const writers = Array.from({ length: 6 }, (_, w) =>
      (async () => {
        for (let i = 0; i < 25; i += 1) await log.store.append('acme', `writer-${w}`, i, [testEvent(i)]);
      })(),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await slow.query('COMMIT');
    slow.release();
    await Promise.all(writers);

    const expected = 6 * 25 + 1;
    const deadline = Date.now() + 20_000;
    while (seen.length < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 100));
    abort.abort();
    await tailing;

    const ids = seen.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(expected);
    expect(seen.some((e) => e.streamId === 'late')).toBe(true);
    // Within each stream the tailer sees versions in order.
    for (let w = 0; w < 6; w += 1) {
      const versions = seen.filter((e) => e.streamId === `writer-${w}`).map((e) => e.streamVersion);
      expect(versions).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    }
  });
});
