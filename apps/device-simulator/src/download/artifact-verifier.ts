import { createHash, type Hash } from 'node:crypto';

export interface ExpectedArtifact {
  size: number;
  hashes: { sha1?: string; md5?: string; sha256?: string };
}

export type VerificationResult = { ok: true } | { ok: false; reason: string };

/**
 * Hashes an artifact as its bytes arrive, across resumed transfers: a resume appends to the same running
 * digests, so nothing is kept in memory but three hash states and a byte count.
 */
export class ArtifactVerifier {
  private sha256: Hash = createHash('sha256');
  private sha1: Hash = createHash('sha1');
  private md5: Hash = createHash('md5');
  private count = 0;

  get received(): number {
    return this.count;
  }

  update(chunk: Buffer): void {
    this.sha256.update(chunk);
    this.sha1.update(chunk);
    this.md5.update(chunk);
    this.count += chunk.length;
  }

  /** The server sent the whole content again (it ignored or refused the Range): start over. */
  reset(): void {
    this.sha256 = createHash('sha256');
    this.sha1 = createHash('sha1');
    this.md5 = createHash('md5');
    this.count = 0;
  }

  /**
   * Size first, then every hash the chunk announced; sha256 is required (the content's identity in Rollgate),
   * md5 and sha1 are checked when present, as hawkBit clients do.
   */
  verify(expected: ExpectedArtifact): VerificationResult {
    if (this.count !== expected.size) return { ok: false, reason: `size ${this.count} != ${expected.size}` };
    const actual = { sha256: this.sha256.digest('hex'), sha1: this.sha1.digest('hex'), md5: this.md5.digest('hex') };
    if (!expected.hashes.sha256) return { ok: false, reason: 'no sha256 announced for the artifact' };
    for (const algorithm of ['sha256', 'md5', 'sha1'] as const) {
      const wanted = expected.hashes[algorithm];
      if (wanted !== undefined && wanted.toLowerCase() !== actual[algorithm]) return { ok: false, reason: `${algorithm} mismatch` };
    }
    return { ok: true };
  }
}

/** `Content-Range: bytes <start>-<end>/<total|*>` of a 206 answer. */
export function parseContentRange(header: string | undefined): { start: number; end: number; total?: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec((header ?? '').trim());
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (end < start) return undefined;
  return { start, end, ...(match[3] !== '*' ? { total: Number(match[3]) } : {}) };
}
