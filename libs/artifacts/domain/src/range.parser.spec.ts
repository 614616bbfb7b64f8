import fc from 'fast-check';
import { ifRangeMatches, MAX_RANGES, parseRange, rangeLength } from './range.parser';

describe('Range header parsing', () => {
  it('answers the three forms of a byte range, clamped to the content', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual({ kind: 'ranges', ranges: [{ start: 0, end: 99 }] });
    expect(parseRange('bytes=900-', 1000)).toEqual({ kind: 'ranges', ranges: [{ start: 900, end: 999 }] });
    expect(parseRange('bytes=-100', 1000)).toEqual({ kind: 'ranges', ranges: [{ start: 900, end: 999 }] });
    expect(parseRange('bytes=-5000', 1000)).toEqual({ kind: 'ranges', ranges: [{ start: 0, end: 999 }] });
    expect(parseRange('bytes=990-5000', 1000)).toEqual({ kind: 'ranges', ranges: [{ start: 990, end: 999 }] });
  });

  it('keeps several ranges in order and merges overlapping or adjacent ones', () => {
    expect(parseRange('bytes=500-599, 0-9', 1000)).toEqual({ kind: 'ranges', ranges: [{ start: 500, end: 599 }, { start: 0, end: 9 }] });
    expect(parseRange('bytes=0-9,10-19,5-12', 1000)).toEqual({ kind: 'ranges', ranges: [{ start: 0, end: 19 }] });
    expect(parseRange('bytes=0-9,20-29,8-21', 1000)).toEqual({ kind: 'ranges', ranges: [{ start: 0, end: 29 }] });
  });

  it('ignores absent, foreign-unit, malformed and abusive headers (full content)', () => {
    for (const header of [undefined, 'items=0-1', 'bytes=', 'bytes=a-b', 'bytes=5-1', 'bytes=-', 'bytes 0-1']) {
      expect(parseRange(header, 1000)).toEqual({ kind: 'full' });
    }
    const many = `bytes=${Array.from({ length: MAX_RANGES + 1 }, (_, i) => `${i * 10}-${i * 10 + 1}`).join(',')}`;
    expect(parseRange(many, 1000)).toEqual({ kind: 'full' });
  });

  it('is unsatisfiable when no range touches the content', () => {
    expect(parseRange('bytes=1000-', 1000)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 1000)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
  });

  it('always yields disjoint ranges inside the content (property)', () => {
    const spec = fc.oneof(
      fc.tuple(fc.nat(5000), fc.nat(5000)).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
      fc.nat(5000).map((a) => `${a}-`),
      fc.integer({ min: 1, max: 5000 }).map((n) => `-${n}`),
    );
    fc.assert(
      fc.property(fc.array(spec, { minLength: 1, maxLength: MAX_RANGES }), fc.nat(4000), (specs, size) => {
        const result = parseRange(`bytes=${specs.join(',')}`, size);
        if (result.kind !== 'ranges') return result.kind === 'unsatisfiable';
        const sorted = [...result.ranges].sort((a, b) => a.start - b.start);
        return sorted.every((r, i) => r.start >= 0 && r.end < size && rangeLength(r) > 0 && (i === 0 || sorted[i - 1].end + 1 < r.start));
      }),
    );
  });

  it('matches If-Range only on the same strong ETag', () => {
    const etag = '"2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"';
    expect(ifRangeMatches(undefined, etag)).toBe(true);
    expect(ifRangeMatches(etag, etag)).toBe(true);
    expect(ifRangeMatches('"other"', etag)).toBe(false);
    expect(ifRangeMatches(`W/${etag}`, etag)).toBe(false);
    expect(ifRangeMatches('Wed, 21 Oct 2015 07:28:00 GMT', etag)).toBe(false);
  });
});
