/** An inclusive byte range of a representation, as RFC 9110 writes it (`bytes=0-99` is 100 bytes). */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * What a `Range` header asks of a representation of `size` bytes:
 * - `full`: no usable Range header (absent, another unit, or malformed: RFC 9110 says ignore it, answer 200);
 * - `ranges`: one or more satisfiable ranges, in the order asked, overlapping ones merged;
 * - `unsatisfiable`: well-formed but none of the ranges touches the content (answer 416).
 */
export type RangeRequest = { kind: 'full' } | { kind: 'ranges'; ranges: ByteRange[] } | { kind: 'unsatisfiable' };

/**
 * Beyond this many ranges a request is treated as abusive (many tiny ranges multiply the per-part overhead,
 * the classic "Apache killer"); it is answered with the full content instead, which RFC 9110 allows.
 */
export const MAX_RANGES = 16;

const SPEC = /^\s*(\d*)\s*-\s*(\d*)\s*$/;

export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: 'full' };
  const match = /^\s*bytes\s*=(.*)$/i.exec(header);
  if (!match) return { kind: 'full' };
  const specs = match[1].split(',');
  if (specs.length > MAX_RANGES) return { kind: 'full' };
  const ranges: ByteRange[] = [];
  for (const spec of specs) {
    const parsed = parseSpec(spec, size);
    if (parsed === 'malformed') return { kind: 'full' };
    if (parsed) ranges.push(parsed);
  }
  return ranges.length === 0 ? { kind: 'unsatisfiable' } : { kind: 'ranges', ranges: coalesce(ranges) };
}

/** One `first-last`, `first-` or `-suffix`; undefined when it is valid but lies outside the content. */
function parseSpec(spec: string, size: number): ByteRange | undefined | 'malformed' {
  const match = SPEC.exec(spec);
  if (!match || (match[1] === '' && match[2] === '')) return 'malformed';
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return undefined;
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const last = match[2] === '' ? Number.MAX_SAFE_INTEGER : Number(match[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(last) || last < start) return 'malformed';
  if (start >= size) return undefined;
  return { start, end: Math.min(last, size - 1) };
}

/**
 * Merges overlapping or adjacent ranges (keeping the position of the first of them), so a client cannot
 * make the server send the same bytes many times over.
 */
function coalesce(ranges: ByteRange[]): ByteRange[] {
  const merged: ByteRange[] = [];
  for (const range of ranges) {
    const overlapping = merged.find((m) => range.start <= m.end + 1 && m.start <= range.end + 1);
    if (overlapping) {
      overlapping.start = Math.min(overlapping.start, range.start);
      overlapping.end = Math.max(overlapping.end, range.end);
    } else {
      merged.push({ ...range });
    }
  }
  return merged.length === ranges.length ? merged : coalesce(merged);
}

export function rangeLength(range: ByteRange): number {
  return range.end - range.start + 1;
}

/**
 * Whether an `If-Range` validator still matches, so the ranges may be served; otherwise the full content
 * goes out (the client's partial copy is of an older representation). Only strong ETags count (RFC 9110
 * 13.1.5): a weak one, or a date, never matches, because content-addressed artifacts have exact ETags and a
 * date cannot prove byte equality.
 */
export function ifRangeMatches(ifRange: string | undefined, etag: string): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  return value.startsWith('"') && value === etag;
}
