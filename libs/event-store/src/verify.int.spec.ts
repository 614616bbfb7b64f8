import { freshLog, testEvent, type LogFixture } from '../test/fixtures';
import { LOG_START, sealBatch, verifyLog, withClient, checkpointOf, type Checkpoint } from './index';

/**
 * Each case builds a small sealed log, tampers with it as a superuser (bypassing the append-only triggers
 * with session_replication_role = replica, which is what an attacker with database access would do), and
 * expects `verifyLog` to name the first broken link.
 */
describe('tamper evidence', () => {
  let log: LogFixture;

  beforeEach(async () => {
    log = await freshLog();
    for (const stream of ['rollout-a', 'rollout-b', 'rollout-c']) {
      await log.store.append('acme', stream, 0, [testEvent(1), testEvent(2), testEvent(3)]);
    }
    await sealEverything(9);
  });
  afterEach(() => log.close());

  /**
   * Seals the whole log, as the relay would. Readers see only transactions older than the oldest open one in
   * the whole PostgreSQL cluster, so on a busy server the last events may show up a moment later: keep
   * sealing until all `expected` events are covered.
   */
  async function sealEverything(expected: number): Promise<void> {
    let checkpoint: Checkpoint = LOG_START;
    let sealed = 0;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const batch = await log.store.readAll(checkpoint, 4);
      if (batch.length === 0) {
        if (sealed >= expected) return;
        if (Date.now() > deadline) throw new Error(`only ${sealed} of ${expected} events became readable`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      sealed += batch.length;
      await withClient(log.pool, async (client) => {
        await client.query('BEGIN');
        await sealBatch(client, batch);
        await client.query('COMMIT');
      });
      checkpoint = checkpointOf(batch[batch.length - 1]);
    }
  }

  async function tamper(sql: string, params: unknown[] = []): Promise<void> {
    await withClient(log.pool, async (client) => {
      await client.query('BEGIN');
      await client.query(`SET LOCAL session_replication_role = replica`);
      await client.query(sql, params);
      await client.query('COMMIT');
    });
  }

  const position = async (stream: string, version: number): Promise<string> =>
    (await log.pool.query(`SELECT position FROM events WHERE stream_id = $1 AND stream_version = $2`, [stream, version])).rows[0].position;

  it('passes on an untouched log, counting events, streams and seals', async () => {
    await log.store.append('acme', 'rollout-a', 3, [testEvent(4)]);
    const report = await verifyLog(log.pool, log.store);
    expect(report).toMatchObject({ ok: true, eventsChecked: 10, streamsChecked: 3, sealsChecked: 3, unsealedEvents: 1, brokenLinks: [] });
  });

  it('detects an altered payload at that event', async () => {
    const target = await position('rollout-b', 2);
    await tamper(`UPDATE events SET data = '{"n": 999}' WHERE position = $1`, [target]);
    const report = await verifyLog(log.pool, log.store);
    expect(report.ok).toBe(false);
    expect(report.firstBrokenLink).toMatchObject({ kind: 'event-altered', streamId: 'rollout-b', streamVersion: 2, position: target });
  });

  it('detects an altered payload whose hash was recomputed: the next event no longer chains to it', async () => {
    const target = await position('rollout-b', 2);
    await tamper(`UPDATE events SET data = '{"n": 999}', hash = sha256(hash) WHERE position = $1`, [target]);
    const report = await verifyLog(log.pool, log.store);
    expect(report.brokenLinks.map((l) => l.kind)).toContain('stream-chain-broken');
    expect(report.brokenLinks.find((l) => l.kind === 'stream-chain-broken')).toMatchObject({ streamId: 'rollout-b', streamVersion: 3 });
  });

  it('detects a deleted event in the middle of a stream', async () => {
    await tamper(`DELETE FROM events WHERE stream_id = 'rollout-a' AND stream_version = 2`);
    const report = await verifyLog(log.pool, log.store);
    expect(report.ok).toBe(false);
    expect(report.brokenLinks).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'stream-chain-broken', streamId: 'rollout-a', streamVersion: 3 })]),
    );
  });

  it('detects a deleted newest event of a stream through the seals', async () => {
    await tamper(`DELETE FROM events WHERE stream_id = 'rollout-c' AND stream_version = 3`);
    const report = await verifyLog(log.pool, log.store);
    expect(report.ok).toBe(false);
    expect(report.firstBrokenLink).toMatchObject({ kind: 'seal-mismatch' });
  });

  it('detects reordered events within a stream', async () => {
    await tamper(`UPDATE events SET stream_version = stream_version + 1000 WHERE stream_id = 'rollout-a' AND stream_version IN (1, 2)`);
    await tamper(`UPDATE events SET stream_version = CASE stream_version WHEN 1001 THEN 2 ELSE 1 END WHERE stream_id = 'rollout-a' AND stream_version > 1000`);
    const report = await verifyLog(log.pool, log.store);
    expect(report.ok).toBe(false);
    expect(report.firstBrokenLink).toMatchObject({ streamId: 'rollout-a' });
  });

  it('detects events swapped between positions in the global order', async () => {
    const a = await position('rollout-a', 1);
    const b = await position('rollout-c', 1);
    await tamper(`UPDATE events SET position = -position WHERE position IN ($1, $2)`, [a, b]);
    await tamper(`UPDATE events SET position = CASE position WHEN -$1::bigint THEN $2::bigint ELSE $1::bigint END WHERE position < 0`, [a, b]);
    const report = await verifyLog(log.pool, log.store);
    expect(report.ok).toBe(false);
    expect(report.brokenLinks.some((l) => l.kind === 'seal-mismatch')).toBe(true);
  });

  it('detects a forged seal', async () => {
    await tamper(`UPDATE event_seals SET hash = sha256(hash) WHERE seal_no = (SELECT min(seal_no) FROM event_seals)`);
    const report = await verifyLog(log.pool, log.store);
    expect(report.ok).toBe(false);
    expect(report.brokenLinks.map((l) => l.kind)).toEqual(expect.arrayContaining(['seal-mismatch', 'seal-chain-broken']));
  });
});
