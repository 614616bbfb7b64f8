import type { Pool, PoolClient } from 'pg';
import type { EventStore } from './event-store';
import { eventHash, SealHasher } from './hash-chain';
import { allSeals, type Seal } from './seals';
import { checkpointOf, isAfter, LOG_START, type StoredEvent } from './types';

export type BrokenLink =
  | { kind: 'event-altered'; position: string; tenant: string; streamId: string; streamVersion: number; eventId: string; message: string }
  | { kind: 'stream-chain-broken'; position: string; tenant: string; streamId: string; streamVersion: number; eventId: string; message: string }
  | { kind: 'seal-mismatch' | 'seal-chain-broken'; sealNo: string; message: string };

export interface VerifyReport {
  ok: boolean;
  eventsChecked: number;
  streamsChecked: number;
  sealsChecked: number;
  /** events after the last seal: chained per stream, not yet sealed by the relay */
  unsealedEvents: number;
  firstBrokenLink?: BrokenLink;
  /** every problem found, in log order (at most 100) */
  brokenLinks: BrokenLink[];
}

const MAX_REPORTED = 100;

/**
 * Recomputes every event hash, every per-stream chain and every seal in one pass over the log in log order,
 * and names the first broken link. Memory is one entry per stream.
 */
export async function verifyLog(pool: Pool, store: EventStore, pageSize = 5000): Promise<VerifyReport> {
  // One REPEATABLE READ snapshot for seals and events alike, so a relay sealing meanwhile cannot make a
  // consistent log look broken.
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const report = await verifySnapshot(client, store, pageSize);
    await client.query('COMMIT');
    return report;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function verifySnapshot(pool: PoolClient, store: EventStore, pageSize: number): Promise<VerifyReport> {
  const problems: BrokenLink[] = [];
  const report = (link: BrokenLink) => problems.length < MAX_REPORTED && problems.push(link);
  const seals = await allSeals(pool);
  checkSealChain(seals, report);

  const streams = new Map<string, { version: number; hash: Buffer }>();
  let sealIndex = 0;
  let hasher = new SealHasher(seals[0]?.prevHash ?? null);
  let eventsChecked = 0;
  let unsealedEvents = 0;
  const closeSeal = () => {
    const seal = seals[sealIndex];
    const digest = hasher.digest();
    if (hasher.count !== seal.eventCount || !digest.equals(seal.hash)) {
      report({
        kind: 'seal-mismatch',
        sealNo: seal.sealNo.toString(),
        message: `seal ${seal.sealNo} covers ${seal.eventCount} events up to position ${seal.last.position}, but the log now has ${hasher.count} there${hasher.count === seal.eventCount ? ' with different contents or order' : ''}`,
      });
    }
    sealIndex += 1;
    hasher = new SealHasher(seal.hash);
  };

  let checkpoint = LOG_START;
  for (;;) {
    const page = await store.readCommitted(checkpoint, pageSize, pool);
    if (page.length === 0) break;
    for (const event of page) {
      eventsChecked += 1;
      checkStreamLink(event, streams, report);
      while (sealIndex < seals.length && isAfter(event, seals[sealIndex].last)) closeSeal();
      if (sealIndex < seals.length) hasher.add(event.position, event.hash);
      else unsealedEvents += 1;
    }
    checkpoint = checkpointOf(page[page.length - 1]);
  }
  while (sealIndex < seals.length) closeSeal();

  return {
    ok: problems.length === 0,
    eventsChecked,
    streamsChecked: streams.size,
    sealsChecked: seals.length,
    unsealedEvents,
    firstBrokenLink: problems[0],
    brokenLinks: problems,
  };
}

function checkStreamLink(event: StoredEvent, streams: Map<string, { version: number; hash: Buffer }>, report: (link: BrokenLink) => void): void {
  const key = `${event.tenant}\u0000${event.streamId}`;
  const previous = streams.get(key);
  const where = {
    position: event.position.toString(),
    tenant: event.tenant,
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    eventId: event.id,
  };
  if (!eventHash(event.prevHash, event).equals(event.hash)) {
    report({ kind: 'event-altered', ...where, message: `event ${event.streamId}@${event.streamVersion} (position ${event.position}) does not match its hash: its contents were changed` });
  }
  const expectedVersion = (previous?.version ?? 0) + 1;
  if (event.streamVersion !== expectedVersion) {
    report({ kind: 'stream-chain-broken', ...where, message: `stream ${event.streamId} jumps from version ${expectedVersion - 1} to ${event.streamVersion}: events are missing or out of order` });
  } else if (!sameHash(event.prevHash, previous?.hash ?? null)) {
    report({ kind: 'stream-chain-broken', ...where, message: `event ${event.streamId}@${event.streamVersion} (position ${event.position}) does not chain to version ${expectedVersion - 1}` });
  }
  streams.set(key, { version: event.streamVersion, hash: event.hash });
}

function checkSealChain(seals: Seal[], report: (link: BrokenLink) => void): void {
  seals.forEach((seal, index) => {
    const previous = seals[index - 1];
    const linked = previous
      ? sameHash(seal.prevHash, previous.hash) && seal.after.transactionId === previous.last.transactionId && seal.after.position === previous.last.position
      : seal.prevHash === null && seal.after.position === 0n;
    if (!linked) report({ kind: 'seal-chain-broken', sealNo: seal.sealNo.toString(), message: `seal ${seal.sealNo} does not continue seal ${previous?.sealNo ?? '(none)'}` });
  });
}

function sameHash(a: Buffer | null, b: Buffer | null): boolean {
  return a === null || b === null ? a === b : a.equals(b);
}
