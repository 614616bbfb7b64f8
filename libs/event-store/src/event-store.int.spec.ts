import { ConcurrencyError, ValidationError } from '@rollgate/shared-domain';
import { freshLog, testEvent, wholeReadableLog, type LogFixture } from '../test/fixtures';
import { EventStore, LOG_START, migrationsApplied, EVENT_STORE_MIGRATIONS, toCloudEvent, verifyLog, type StoredEvent } from './index';
import { decodeCloudEvent } from '@rollgate/contracts';

describe('EventStore against PostgreSQL', () => {
  let log: LogFixture;
  beforeAll(async () => {
    log = await freshLog();
  });
  afterAll(() => log.close());

  it('reports its migrations as applied', async () => {
    expect(await migrationsApplied(log.db.url, EVENT_STORE_MIGRATIONS)).toBe(true);
  });

  it('appends to a new stream and reads it back in version order with a hash chain', async () => {
    const result = await log.store.append('acme', 'rollout-1', 0, [testEvent(1), testEvent(2), testEvent(3)]);
    expect(result).toMatchObject({ streamId: 'rollout-1', version: 3, duplicate: false });
    expect(result.eventIds).toHaveLength(3);

    const events = await log.store.readStream('acme', 'rollout-1');
    expect(events.map((e) => [e.streamVersion, (e.data as { n: number }).n])).toEqual([[1, 1], [2, 2], [3, 3]]);
    expect(events[0].prevHash).toBeNull();
    expect(events[1].prevHash!.equals(events[0].hash)).toBe(true);
    expect(events[2].prevHash!.equals(events[1].hash)).toBe(true);
    expect((await log.store.readStream('acme', 'rollout-1', 3)).map((e) => e.streamVersion)).toEqual([3]);
  });

  it('refuses an append at a stale expected version and writes nothing', async () => {
    await log.store.append('acme', 'rollout-2', 0, [testEvent(1)]);
    await expect(log.store.append('acme', 'rollout-2', 0, [testEvent(2)])).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await log.store.streamVersion('acme', 'rollout-2')).toBe(1);
  });

  it('lets exactly one of two racing writers win at the same expected version', async () => {
    await log.store.append('acme', 'rollout-race', 0, [testEvent(0)]);
    const outcomes = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => log.store.append('acme', 'rollout-race', 1, [testEvent(i)])));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(rejected.every((o) => o.reason instanceof ConcurrencyError)).toBe(true);
    expect(await log.store.streamVersion('acme', 'rollout-race')).toBe(2);
  });

  it('appends where it appended last without a lookup; a head another writer moved on is refused, never chained to', async () => {
    const other = new EventStore(log.pool);
    await log.store.append('acme', 'remembered', 0, [testEvent(1)]);
    await log.store.append('acme', 'remembered', 1, [testEvent(2)]);
    await other.append('acme', 'remembered', 2, [testEvent(3)]);
    await expect(log.store.append('acme', 'remembered', 2, [testEvent(4)])).rejects.toBeInstanceOf(ConcurrencyError);
    await log.store.appendMany([{ tenant: 'acme', streamId: 'remembered', expectedVersion: 3, events: [testEvent(5)] }]);
    const events = await log.store.readStream('acme', 'remembered');
    expect(events.map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3, 5]);
    expectChained(events);
  });

  it('never remembers a head written in a transaction its caller rolled back', async () => {
    const other = new EventStore(log.pool);
    await log.store.append('acme', 'rolled-back', 0, [testEvent(1)]);
    const client = await log.pool.connect();
    try {
      await client.query('BEGIN');
      await log.store.appendInTransaction(client, [{ tenant: 'acme', streamId: 'rolled-back', expectedVersion: 1, events: [testEvent(2)] }]);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    await other.append('acme', 'rolled-back', 1, [testEvent(3)]);
    await log.store.append('acme', 'rolled-back', 2, [testEvent(4)]);
    const events = await log.store.readStream('acme', 'rolled-back');
    expect(events.map((e) => (e.data as { n: number }).n)).toEqual([1, 3, 4]);
    expectChained(events);
  });

  it('is idempotent on event ids: a retried append returns the original result', async () => {
    const events = [testEvent(1, { id: '01900000-0000-7000-8000-000000000001' }), testEvent(2, { id: '01900000-0000-7000-8000-000000000002' })];
    const first = await log.store.append('acme', 'rollout-3', 0, events);
    const retry = await log.store.append('acme', 'rollout-3', 0, events);
    expect(retry).toEqual({ ...first, duplicate: true });
    expect(await log.store.streamVersion('acme', 'rollout-3')).toBe(2);
  });

  it('appends to many existing streams of several tenants in one batch, each chained to its own head', async () => {
    const streams = Array.from({ length: 40 }, (_, i) => ({ tenant: i % 2 ? 'acme' : 'globex', streamId: `batch-${i}` }));
    await log.store.appendMany(streams.map((s, i) => ({ ...s, expectedVersion: 0, events: Array.from({ length: 1 + (i % 3) }, (_, n) => testEvent(n)) })));
    const results = await log.store.appendMany(streams.map((s, i) => ({ ...s, expectedVersion: 1 + (i % 3), events: [testEvent(99)] })));
    expect(results.map((r) => r.version)).toEqual(streams.map((_, i) => 2 + (i % 3)));
    for (const [i, s] of streams.entries()) {
      const events = await log.store.readStream(s.tenant, s.streamId);
      expect(events).toHaveLength(2 + (i % 3));
      expect(events.at(-1)!.prevHash!.equals(events.at(-2)!.hash)).toBe(true);
    }
    expect((await verifyLog(log.pool, log.store)).ok).toBe(true);
  });

  it('refuses a whole batch when one stream of many is at a stale version, naming that stream', async () => {
    await log.store.appendMany([1, 2, 3].map((i) => ({ tenant: 'acme', streamId: `stale-${i}`, expectedVersion: 0, events: [testEvent(i)] })));
    const refusal = log.store.appendMany([1, 2, 3].map((i) => ({ tenant: 'acme', streamId: `stale-${i}`, expectedVersion: i === 2 ? 2 : 1, events: [testEvent(i)] })));
    await expect(refusal).rejects.toMatchObject({ streamId: 'stale-2', expectedVersion: 2, actualVersion: 1 });
    expect(await Promise.all([1, 2, 3].map((i) => log.store.streamVersion('acme', `stale-${i}`)))).toEqual([1, 1, 1]);
  });

  it('continues a stream appended to twice in one batch from the first append', async () => {
    await log.store.appendMany([
      { tenant: 'acme', streamId: 'twice', expectedVersion: 0, events: [testEvent(1)] },
      { tenant: 'acme', streamId: 'twice', expectedVersion: 1, events: [testEvent(2)] },
    ]);
    const events = await log.store.readStream('acme', 'twice');
    expect(events.map((e) => e.streamVersion)).toEqual([1, 2]);
    expect(events[1].prevHash!.equals(events[0].hash)).toBe(true);
  });

  it('recognises a retried batch of many streams by caller ids and writes nothing twice', async () => {
    const requests = [1, 2, 3].map((i) => ({ tenant: 'acme', streamId: `retried-${i}`, expectedVersion: 0 as const, events: [testEvent(i, { id: `01900000-0000-7000-8000-00000000010${i}` })] }));
    const first = await log.store.appendMany(requests);
    const retry = await log.store.appendMany(requests);
    expect(retry).toEqual(first.map((r) => ({ ...r, duplicate: true })));
  });

  it('appends to many streams atomically: all or nothing', async () => {
    await log.store.append('acme', 'group-b', 0, [testEvent(1)]);
    await expect(
      log.store.appendMany([
        { tenant: 'acme', streamId: 'group-a', expectedVersion: 0, events: [testEvent(1)] },
        { tenant: 'acme', streamId: 'group-b', expectedVersion: 0, events: [testEvent(2)] },
      ]),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await log.store.streamVersion('acme', 'group-a')).toBe(0);

    const results = await log.store.appendMany([
      { tenant: 'acme', streamId: 'group-a', expectedVersion: 0, events: [testEvent(1), testEvent(2)] },
      { tenant: 'acme', streamId: 'group-b', expectedVersion: 1, events: [testEvent(3)] },
    ]);
    expect(results.map((r) => [r.streamId, r.version, r.eventIds.length])).toEqual([['group-a', 2, 2], ['group-b', 2, 1]]);
  });

  it('stores payloads and stream ids with tabs, newlines, backslashes and quotes exactly, and they verify', async () => {
    const awkward = { text: 'tab\there\nnew line\r\n back\\slash "quoted" \\N \\x00', nested: ['\t', { '\n': '\\' }] };
    await log.store.append('acme', 'stream\twith\\odd\nid', 0, [{ type: 'io.rollgate.test.thing-happened.v1', data: awkward, metadata: { actor: 'o\'brien\t' } }]);
    const [event] = await log.store.readStream('acme', 'stream\twith\\odd\nid');
    expect(event.data).toEqual(awkward);
    expect(event.metadata).toEqual({ actor: 'o\'brien\t' });
    expect((await verifyLog(log.pool, log.store)).ok).toBe(true);
  });

  it('reads many streams of a tenant at once, each in version order, empty ones included', async () => {
    await log.store.append('bulk', 'target-a', 0, [testEvent(1), testEvent(2)]);
    await log.store.append('bulk', 'target-b', 0, [testEvent(3)]);
    await log.store.append('other-tenant', 'target-c', 0, [testEvent(4)]);
    const streams = await log.store.readStreams('bulk', ['target-a', 'target-b', 'target-c', 'target-a']);
    expect([...streams.keys()]).toEqual(['target-a', 'target-b', 'target-c']);
    expect(streams.get('target-a')!.map((e) => e.streamVersion)).toEqual([1, 2]);
    expect(streams.get('target-b')!.map((e) => (e.data as { n: number }).n)).toEqual([3]);
    expect(streams.get('target-c')).toEqual([]);
    expect((await log.store.readStreams('bulk', [])).size).toBe(0);
  });

  it('keeps tenants apart: the same stream id in two tenants is two streams', async () => {
    await log.store.append('tenant-a', 'target-x', 0, [testEvent(1)]);
    await log.store.append('tenant-b', 'target-x', 0, [testEvent(2)]);
    expect((await log.store.readStream('tenant-a', 'target-x')).map((e) => e.tenant)).toEqual(['tenant-a']);
  });

  it('rejects an append with a badly named event type before touching the database', async () => {
    await expect(log.store.append('acme', 'rollout-9', 0, [{ type: 'RolloutCreated', data: {} }])).rejects.toBeInstanceOf(ValidationError);
    await expect(log.store.append('acme', 'rollout-9', 0, [])).rejects.toBeInstanceOf(ValidationError);
  });

  it('refuses, before writing anything, what consumers or the bus could not handle', async () => {
    const refused = async (tenant: string, event: Parameters<typeof testEvent>[1]) => {
      try {
        await log.store.append(tenant, 'rollout-bad', 0, [testEvent(1, event)]);
      } catch (error) {
        return (error as ValidationError).code;
      }
      return 'accepted';
    };
    expect(await refused('acme.evil', {})).toBe('invalid_tenant');
    expect(await refused('acme', { metadata: { traceparent: 'not-a-trace' } })).toBe('invalid_traceparent');
    expect(await refused('acme', { data: { blob: 'x'.repeat(600 * 1024) } })).toBe('event_too_large');
    expect(await log.store.streamVersion('acme', 'rollout-bad')).toBe(0);
    expect(await refused('acme', { metadata: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } })).toBe('accepted');
  });

  it('refuses UPDATE, DELETE and TRUNCATE on the log, even for a superuser', async () => {
    await expect(log.pool.query(`UPDATE events SET type = 'x'`)).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(log.pool.query(`DELETE FROM events`)).rejects.toThrow(/append-only: DELETE refused/);
    await expect(log.pool.query(`TRUNCATE events`)).rejects.toThrow(/append-only: TRUNCATE refused/);
    await expect(log.pool.query(`TRUNCATE event_seals`)).rejects.toThrow(/append-only: TRUNCATE refused/);
  });

  it('reads the global log in pages from a checkpoint and maps events to valid CloudEvents', async () => {
    const all = await wholeReadableLog(log.store);
    const page1 = await log.store.readAll(LOG_START, 3);
    const page2 = await log.store.readAll({ transactionId: page1[2].transactionId, position: page1[2].position }, 3);
    expect([...page1, ...page2].map((e) => e.id)).toEqual(all.slice(0, 6).map((e) => e.id));

    const cloudEvent = toCloudEvent(all[0]);
    expect(decodeCloudEvent(JSON.stringify(cloudEvent))).toMatchObject({
      specversion: '1.0',
      id: all[0].id,
      source: 'rollgate/test',
      type: 'io.rollgate.test.thing-happened.v1',
      tenant: 'acme',
      streamid: 'rollout-1',
      streamversion: 1,
      actor: 'tester',
      dataschema: 'urn:rollgate:schema:test:thing-happened:v1',
    });
  });
});

/** Each event's prevHash is its predecessor's hash. */
function expectChained(events: StoredEvent[]): void {
  events.slice(1).forEach((event, i) => expect(event.prevHash!.equals(events[i].hash)).toBe(true));
}
