import { createHash } from 'node:crypto';
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
  const canonical = `[${JSON.stringify(event.id)},${JSON.stringify(event.tenant)},${JSON.stringify(event.streamId)},${event.streamVersion},${JSON.stringify(event.type)},${dataJson},${metadataJson},"${recordedAtIso}"]`;
  const hash = createHash('sha256');
  if (prevHash) hash.update(prevHash);
  return hash.update(canonical).digest();
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
