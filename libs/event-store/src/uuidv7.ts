import { randomUUID } from 'node:crypto';

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits, so event ids sort by time and
 * the unique index on them stays append-friendly. Built from `crypto.randomUUID()`, which draws from a
 * pooled random buffer; the `uuid` package fills a fresh buffer per id, which showed up as the largest
 * JavaScript cost of an append. The v4's variant bits are kept; its version nibble becomes 7.
 */
export function uuidv7(now: number = Date.now()): string {
  const random = randomUUID();
  return `${timePrefix(now)}${random.slice(15, 18)}-${random.slice(19)}`;
}

/** `tttttttt-tttt-7` for a millisecond, remembered: a batch's ids are made in the same one (a few strings less per id). */
function timePrefix(now: number): string {
  if (now !== lastMillis) {
    const millis = now.toString(16).padStart(12, '0');
    lastPrefix = `${millis.slice(0, 8)}-${millis.slice(8, 12)}-7`;
    lastMillis = now;
  }
  return lastPrefix;
}

let lastMillis = -1;
let lastPrefix = '';
