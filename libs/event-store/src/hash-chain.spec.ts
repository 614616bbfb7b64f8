import { canonicalJson } from './canonical-json';
import { eventHash, eventHashHexOfCanonical, eventHashOfCanonical } from './hash-chain';
import { createHash } from 'node:crypto';

const event = {
  id: '0193a6a4-5c1e-7b7e-9d1a-2f4c1e0b9a11',
  tenant: 'acme',
  streamId: 'rollout-1',
  streamVersion: 2,
  type: 'io.rollgate.rollout.rollout-started.v1',
  data: { z: 1, a: [1, 'two'] },
  metadata: { actor: 'alice' },
  recordedAt: new Date('2026-11-22T03:00:00.000Z'),
};

describe('event hashes', () => {
  it('hash the canonical array of the event chained to the previous hash', () => {
    const prev = Buffer.alloc(32, 7);
    const expected = createHash('sha256')
      .update(prev)
      .update(canonicalJson([event.id, event.tenant, event.streamId, event.streamVersion, event.type, event.data, event.metadata, event.recordedAt.toISOString()]))
      .digest();
    expect(eventHash(prev, event).equals(expected)).toBe(true);
    expect(eventHashOfCanonical(prev, event, canonicalJson(event.data), canonicalJson(event.metadata)).equals(expected)).toBe(true);
  });

  it('change with any covered field or with the previous hash', () => {
    const base = eventHash(null, event);
    for (const changed of [{ ...event, streamVersion: 3 }, { ...event, data: { z: 2, a: [1, 'two'] } }, { ...event, tenant: 'other' }, { ...event, recordedAt: new Date(0) }]) {
      expect(eventHash(null, changed).equals(base)).toBe(false);
    }
    expect(eventHash(Buffer.alloc(32), event).equals(base)).toBe(false);
  });

  it('are the same in hex from the append path, for first events, chained ones and large or non-ASCII payloads', () => {
    const prev = Buffer.alloc(32, 7);
    const iso = event.recordedAt.toISOString();
    const payloads = [event.data, { text: 'grüße ✓ 🚀'.repeat(3) }, { blob: 'x'.repeat(40_000) }, { blob: 'ü'.repeat(100_000) }];
    for (const data of payloads) {
      const changed = { ...event, data };
      const dataJson = canonicalJson(data);
      const metadataJson = canonicalJson(event.metadata);
      expect(eventHashHexOfCanonical(null, changed, dataJson, metadataJson, iso)).toBe(eventHash(null, changed).toString('hex'));
      expect(eventHashHexOfCanonical(prev.toString('hex'), changed, dataJson, metadataJson, iso)).toBe(eventHash(prev, changed).toString('hex'));
      expect(eventHashOfCanonical(prev, changed, dataJson, metadataJson).equals(eventHash(prev, changed))).toBe(true);
    }
    // After a large payload the reused input buffer holds stale bytes: a short event must not see them.
    expect(eventHashHexOfCanonical(prev.toString('hex'), event, canonicalJson(event.data), canonicalJson(event.metadata), iso)).toBe(
      createHash('sha256')
        .update(prev)
        .update(canonicalJson([event.id, event.tenant, event.streamId, event.streamVersion, event.type, event.data, event.metadata, iso]))
        .digest('hex'),
    );
  });
});
