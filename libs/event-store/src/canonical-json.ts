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
  const keys = sortKeys(Object.keys(record));
  let out = '{';
  for (let i = 0; i < keys.length; i += 1) {
    const key = keys[i];
    const member = record[key];
    if (member === undefined || typeof member === 'function') continue;
    out += out.length === 1 ? quotedKey(key) : `,${quotedKey(key)}`;
    out += ':';
    out += canonicalJson(member);
  }
  return `${out}}`;
}

/**
 * Sorts an object's keys in place, by UTF-16 code unit as Array.prototype.sort does for strings. An event's
 * objects have a handful of keys: an insertion sort of those allocates nothing, where the native sort
 * allocated its merge state on every call (the largest allocation of an append, measured under the gateway
 * bench: about 2.6 KB per feedback event).
 */
function sortKeys(keys: string[]): string[] {
  if (keys.length > INSERTION_SORT_MAX) return keys.sort();
  for (let i = 1; i < keys.length; i += 1) {
    const key = keys[i];
    let j = i - 1;
    while (j >= 0 && keys[j] > key) {
      keys[j + 1] = keys[j];
      j -= 1;
    }
    keys[j + 1] = key;
  }
  return keys;
}

const INSERTION_SORT_MAX = 32;

/**
 * JSON.stringify(key), remembered: events use a small vocabulary of keys, and each was quoted anew for every
 * object written. Bounded, because keys can also be data (a record of attributes by name).
 */
function quotedKey(key: string): string {
  let quoted = QUOTED_KEYS.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (QUOTED_KEYS.size >= QUOTED_KEYS_KEPT) QUOTED_KEYS.clear();
    QUOTED_KEYS.set(key, quoted);
  }
  return quoted;
}

const QUOTED_KEYS = new Map<string, string>();
const QUOTED_KEYS_KEPT = 4096;

function isString(item: unknown): item is string {
  return typeof item === 'string';
}
