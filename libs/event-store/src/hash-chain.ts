import { createHash, hash } from 'node:crypto';
import { canonicalJson } from './canonical-json';

/** The fields an event's hash covers: everything but its global position and transaction. */
export interface HashedEventFields {
  id: string;
  tenant: string;
  streamId: string;
  streamVersion: number;
  type: string;
  data: unknown;
  metadata: unknown;
  recordedAt: Date;
}

/**
 * hash(n) = SHA-256(hash(n-1) of the same stream ‖ canonical form of event n). Altering, removing or
 * reordering an event breaks the chain at that event.
 */
export function eventHash(prevHash: Buffer | null, event: HashedEventFields): Buffer {
  return eventHashOfCanonical(prevHash, event, canonicalJson(event.data), canonicalJson(event.metadata));
}

/**
 * The same hash from payloads already in canonical form: the append path stores exactly these strings
 * as jsonb, so each payload is serialised once. The hashed text equals canonicalJson of the array
 * [id, tenant, streamId, streamVersion, type, data, metadata, recordedAt].
 */
export function eventHashOfCanonical(
  prevHash: Buffer | null,
  event: Omit<HashedEventFields, 'data' | 'metadata'>,
  dataJson: string,
  metadataJson: string,
  recordedAtIso = event.recordedAt.toISOString(),
): Buffer {
  const canonical = canonicalEventText(event, dataJson, metadataJson, recordedAtIso);
  const input = chainInput(prevHash ? prevHash.length : 0, canonical);
  if (prevHash) prevHash.copy(input, 0);
  return hash('sha256', input, 'buffer') as Buffer;
}

/**
 * eventHashOfCanonical with the hashes as lower-case hex, as the append path writes them (COPY's bytea
 * text) and remembers a stream's head: no Buffer per hash, which the old generation kept for every stream.
 */
export function eventHashHexOfCanonical(
  prevHashHex: string | null,
  event: Omit<HashedEventFields, 'data' | 'metadata' | 'recordedAt'>,
  dataJson: string,
  metadataJson: string,
  recordedAtIso: string,
): string {
  const canonical = canonicalEventText(event, dataJson, metadataJson, recordedAtIso);
  const input = chainInput(prevHashHex ? prevHashHex.length / 2 : 0, canonical);
  if (prevHashHex) input.write(prevHashHex, 0, 'hex');
  return hash('sha256', input, 'hex');
}

/** The hashed text: canonicalJson of [id, tenant, streamId, streamVersion, type, data, metadata, recordedAt]. */
function canonicalEventText(event: Omit<HashedEventFields, 'data' | 'metadata' | 'recordedAt'>, dataJson: string, metadataJson: string, recordedAtIso: string): string {
  return `[${JSON.stringify(event.id)},${JSON.stringify(event.tenant)},${JSON.stringify(event.streamId)},${event.streamVersion},${JSON.stringify(event.type)},${dataJson},${metadataJson},"${recordedAtIso}"]`;
}

/** Reused input buffer for chainInput (JavaScript hashes one event at a time). */
let scratch = Buffer.allocUnsafe(16 * 1024);
const SCRATCH_KEPT = 256 * 1024;

/**
 * The hash input, `prefixBytes` left free for the previous hash and then utf8(text), in a reused buffer:
 * one native hash call per event instead of a Hash object with two updates and a digest (half as much
 * again), and the append path hashes every event. The caller fills the prefix and hashes at once.
 */
function chainInput(prefixBytes: number, text: string): Buffer {
  // A UTF-16 code unit is at most 3 bytes of UTF-8.
  const room = prefixBytes + text.length * 3;
  let input = scratch;
  if (room > input.length) {
    input = Buffer.allocUnsafe(room);
    if (room <= SCRATCH_KEPT) scratch = input;
  }
  const written = input.write(text, prefixBytes, 'utf8');
  return input.subarray(0, prefixBytes + written);
}

/**
 * A seal hashes a range of the global log in log order: SHA-256(previous seal ‖ (position ‖ hash) per event).
 * It catches what per-stream chains cannot: a stream's newest events or a whole stream deleted, or events
 * moved between positions.
 */
export class SealHasher {
  private readonly hash = createHash('sha256');
  count = 0;

  constructor(prevSealHash: Buffer | null) {
    if (prevSealHash) this.hash.update(prevSealHash);
  }

  add(position: bigint, eventHash: Buffer): void {
    this.hash.update(position.toString()).update(':').update(eventHash);
    this.count += 1;
  }

  digest(): Buffer {
    return this.hash.digest();
  }
}
