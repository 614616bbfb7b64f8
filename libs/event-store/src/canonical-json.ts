/**
 * Canonical JSON for hashing: object keys sorted by UTF-16 code unit, no whitespace, `undefined` members
 * dropped and `undefined` array items written as null (as JSON.stringify does). Events are stored as
 * jsonb, which reorders keys, so a hash must not depend on key order. This is the subset of RFC 8785 (JCS)
 * that event payloads need. The `canonicalize` package is ESM-only, which our CommonJS build cannot load
 * under Jest, and this function is on the append hot path, so it is written as a tight loop.
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('non-finite numbers cannot be hashed');
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      return value === null ? 'null' : canonicalObject(value);
    default:
      return 'null';
  }
}

function canonicalObject(value: object): string {
  if (Array.isArray(value)) {
    // A membership chunk's thousands of ids: an array of strings has one form, and the native stringify writes
    // it byte for byte as the loop below would, about three times faster.
    if (value.every(isString)) return JSON.stringify(value);
    let out = '[';
    for (let i = 0; i < value.length; i += 1) {
      if (i > 0) out += ',';
      out += canonicalJson(value[i]);
    }
    return `${out}]`;
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member = record[key];
    if (member === undefined || typeof member === 'function') continue;
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(key)}:${canonicalJson(member)}`;
  }
  return `${out}}`;
}

function isString(item: unknown): item is string {
  return typeof item === 'string';
}
