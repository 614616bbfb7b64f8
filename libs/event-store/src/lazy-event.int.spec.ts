import { freshLog, testEvent, wholeReadableLog, type LogFixture } from '../test/fixtures';
import { LOG_START, readLogPageLazily, type StoredEvent } from './index';

describe('readLogPageLazily against PostgreSQL', () => {
  let log: LogFixture;

  beforeAll(async () => {
    log = await freshLog();
  }, 30_000);

  afterAll(async () => {
    await log.close();
  });

  it('pages through the same events as readAll, every field decoded alike', async () => {
    await log.store.append('acme', 'lazy-1', 0, [testEvent(1), testEvent(2, { data: { text: 'tab\there, new\nline, back\\slash, "quoted", ünïcode' } })]);
    await log.store.appendMany([
      { tenant: 'acme', streamId: 'lazy-2', expectedVersion: 0, events: [testEvent(3, { metadata: {} })] },
      { tenant: 'other', streamId: 'lazy-1', expectedVersion: 0, events: [testEvent(4, { data: null })] },
    ]);
    const eager = await wholeReadableLog(log.store);
    const lazy: StoredEvent[] = [];
    for (let after = LOG_START; ; ) {
      const page = await readLogPageLazily(log.pool, after, 2);
      if (page.length === 0) break;
      expect(page.length).toBeLessThanOrEqual(2);
      lazy.push(...page);
      after = { transactionId: page[page.length - 1].transactionId, position: page[page.length - 1].position };
    }
    expect(lazy.map(fields)).toEqual(eager.map(fields));
    expect(lazy[0].prevHash).toBeNull();
    expect(lazy[1].prevHash).toEqual(lazy[0].hash);
  });

  it('reads only the payloads a reader asks for, in a second query only when it asks for any', async () => {
    await log.store.append('acme', 'lazy-3', 0, [testEvent(5), testEvent(6, { data: { text: 'wanted' } }), testEvent(7)]);
    const eager = await wholeReadableLog(log.store);
    let queries = 0;
    const counting = { query: ((...args: Parameters<typeof log.pool.query>) => (queries++, log.pool.query(...args))) as typeof log.pool.query };

    const page = await readLogPageLazily(counting, LOG_START, 100, { payloads: (event) => event.streamId === 'lazy-3' && event.streamVersion === 2 });
    expect(queries).toBe(2);
    expect(page.map((e) => e.id)).toEqual(eager.map((e) => e.id));
    const wanted = page.findIndex((e) => e.streamId === 'lazy-3' && e.streamVersion === 2);
    expect(fields(page[wanted])).toEqual(fields(eager[wanted]));
    expect(page[wanted].data).toEqual({ text: 'wanted' });
    // The others: everything but the payload, which throws rather than pass for empty.
    const other = page.findIndex((e) => e.streamId === 'lazy-3' && e.streamVersion === 3);
    const { position, transactionId, id, tenant, streamId, streamVersion, type, hash } = page[other];
    expect({ position, transactionId, id, tenant, streamId, streamVersion, type, hash }).toEqual({
      position: eager[other].position, transactionId: eager[other].transactionId, id: eager[other].id, tenant: 'acme', streamId: 'lazy-3', streamVersion: 3, type: eager[other].type, hash: eager[other].hash,
    });
    expect(() => page[other].data).toThrow(/without its payload/);
    expect(() => page[other].metadata).toThrow(/without its payload/);
    expect(() => page[other].recordedAt).toThrow(/without its payload/);

    queries = 0;
    const none = await readLogPageLazily(counting, LOG_START, 100, { hashes: false, payloads: () => false });
    expect(queries).toBe(1);
    expect(none.map((e) => e.position)).toEqual(eager.map((e) => e.position));
  });

  it('answers an empty page past the head', async () => {
    const eager = await wholeReadableLog(log.store);
    const last = eager[eager.length - 1];
    expect(await readLogPageLazily(log.pool, { transactionId: last.transactionId, position: last.position }, 10)).toEqual([]);
  });
});

/** Every StoredEvent field as a plain value (getters included), for comparing two reads. */
function fields(e: StoredEvent) {
  return {
    position: e.position, transactionId: e.transactionId, id: e.id, tenant: e.tenant, streamId: e.streamId, streamVersion: e.streamVersion, type: e.type,
    data: e.data, metadata: e.metadata, recordedAt: e.recordedAt, prevHash: e.prevHash, hash: e.hash,
  };
}
