import { freshLog, testEvent, wholeReadableLog, type LogFixture } from '../test/fixtures';
import { LOG_START, readLogByCopy, type StoredEvent } from './index';

describe('reading the log with COPY', () => {
  let log: LogFixture;
  beforeAll(async () => {
    log = await freshLog();
  });
  afterAll(() => log.close());

  // Payload, metadata and hashes are getters (decoded on first use): compare plain copies.
  const plain = (e: StoredEvent): StoredEvent => ({ ...e, data: e.data, metadata: e.metadata, prevHash: e.prevHash, hash: e.hash });
  const collect = async (batchSize: number, after = LOG_START) => {
    const batches: StoredEvent[][] = [];
    for await (const batch of readLogByCopy(log.pool, after, batchSize)) batches.push(batch.map(plain));
    return batches;
  };

  it('returns exactly what readAll returns, awkward characters included, in batches', async () => {
    const awkward = { text: 'tab\there\nnew\r\n back\\slash "q" \\N \\x00 \u0001 ✓ ünï', list: [1.5, -0, 12345678901234, null, true] };
    await log.store.append('acme', 'stream\twith\\odd\nid', 0, [{ type: 'io.rollgate.test.thing-happened.v1', data: awkward, metadata: { actor: 'o\'brien\t' } }]);
    for (let s = 0; s < 5; s += 1) await log.store.append('acme', `rollout-${s}`, 0, [testEvent(1), testEvent(2), testEvent(3)]);

    const expected = await wholeReadableLog(log.store);
    const batches = await collect(4);
    expect(batches.map((b) => b.length)).toEqual([4, 4, 4, 4]);
    expect(batches.flat()).toEqual(expected);

    const afterFirst = batches[0][3];
    expect((await collect(100, afterFirst)).flat()).toEqual(expected.slice(4));
  });
});
