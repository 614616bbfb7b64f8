import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { ArtifactVerifier, parseContentRange } from './artifact-verifier';

const digest = (algorithm: string, bytes: Uint8Array) => createHash(algorithm).update(bytes).digest('hex');
const expectedOf = (bytes: Uint8Array) => ({ size: bytes.length, hashes: { sha256: digest('sha256', bytes), md5: digest('md5', bytes), sha1: digest('sha1', bytes) } });

/** Cuts `bytes` at the given points (as a transfer that arrives in pieces, or is resumed). */
function pieces(bytes: Uint8Array, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    out.push(Buffer.from(bytes.subarray(start, point)));
    start = point;
  }
  return out;
}

describe('ArtifactVerifier', () => {
  it('verifies content however it is split into chunks or resumed transfers', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 4_096 }), fc.array(fc.nat(), { maxLength: 20 }), (bytes, cuts) => {
        const verifier = new ArtifactVerifier();
        for (const piece of pieces(bytes, cuts)) verifier.update(piece);
        expect(verifier.received).toBe(bytes.length);
        expect(verifier.verify(expectedOf(bytes))).toEqual({ ok: true });
      }),
    );
  });

  it('refuses content with any single byte changed, naming sha256 first', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 2_048 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (bytes, at, flip) => {
        const expected = expectedOf(bytes);
        const tampered = Buffer.from(bytes);
        tampered[at % tampered.length] ^= flip;
        const verifier = new ArtifactVerifier();
        verifier.update(tampered);
        expect(verifier.verify(expected)).toEqual({ ok: false, reason: 'sha256 mismatch' });
      }),
    );
  });

  it('checks md5 (hawkBit clients verify it) even when sha256 matches what was announced', () => {
    const bytes = Buffer.from('image');
    const verifier = new ArtifactVerifier();
    verifier.update(bytes);
    expect(verifier.verify({ ...expectedOf(bytes), hashes: { ...expectedOf(bytes).hashes, md5: '0'.repeat(32) } })).toEqual({ ok: false, reason: 'md5 mismatch' });
  });

  it('refuses a wrong size, and a chunk without sha256', () => {
    const bytes = Buffer.from('image');
    const short = new ArtifactVerifier();
    short.update(bytes.subarray(0, 3));
    expect(short.verify(expectedOf(bytes))).toEqual({ ok: false, reason: 'size 3 != 5' });
    const unannounced = new ArtifactVerifier();
    unannounced.update(bytes);
    expect(unannounced.verify({ size: 5, hashes: { md5: digest('md5', bytes) } })).toEqual({ ok: false, reason: 'no sha256 announced for the artifact' });
  });

  it('starts over after reset (the server sent the whole content again)', () => {
    const bytes = Buffer.from('0123456789');
    const verifier = new ArtifactVerifier();
    verifier.update(bytes.subarray(0, 4));
    verifier.reset();
    verifier.update(bytes);
    expect(verifier.verify(expectedOf(bytes))).toEqual({ ok: true });
  });
});

describe('parseContentRange', () => {
  it('reads bytes start-end/total and refuses anything else', () => {
    expect(parseContentRange('bytes 100-199/1000')).toEqual({ start: 100, end: 199, total: 1000 });
    expect(parseContentRange('bytes 0-0/*')).toEqual({ start: 0, end: 0 });
    expect(parseContentRange('bytes 10-5/100')).toBeUndefined();
    expect(parseContentRange('bytes */100')).toBeUndefined();
    expect(parseContentRange(undefined)).toBeUndefined();
  });
});
