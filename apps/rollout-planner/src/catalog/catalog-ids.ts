import { createHash } from 'node:crypto';

/**
 * Ids derived from what makes a resource unique within a tenant (hawkBit: module type+name+version, set
 * name+version): creating the same thing twice lands on the same stream, and the log's optimistic
 * concurrency refuses the duplicate even when two requests race. Shaped as a UUID for clients that expect one.
 */
export function naturalId(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
