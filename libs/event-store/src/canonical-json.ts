/**
 * Canonical JSON for hashing: object keys sorted by code unit, no whitespace, `undefined` members dropped
 * (as JSON.stringify does). Events are stored as jsonb, which reorders keys, so a hash must not depend on key
 * order. This is the subset of RFC 8785 (JCS) that event payloads need; the `canonicalize` package is
 * ESM-only, which our CommonJS build cannot load under Jest, and the function is a dozen lines.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('non-finite numbers cannot be hashed');
    return JSON.stringify(value) ?? 'null';
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const entries = Object.keys(value)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}
