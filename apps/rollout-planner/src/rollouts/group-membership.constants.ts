/**
 * Target ids per membership event, by size: a chunk holds as many ids as fit in 256 KiB of JSON, half of
 * what one event may carry (MAX_EVENT_PAYLOAD_BYTES), so that even 128-character ids stay within it. With
 * short ids that is ~20,000 per chunk: a million targets are some fifty events, each a modest jsonb row.
 */
export const MEMBERSHIP_CHUNK_BYTES = 256 * 1024;

/**
 * Cuts a group's members (indexes into `ids`) into consecutive chunks of at most MEMBERSHIP_CHUNK_BYTES of
 * JSON. Deterministic: the same members always give the same chunks.
 */
export function* membershipChunks(members: Int32Array, idOf: (index: number) => string): Generator<string[]> {
  let chunk: string[] = [];
  let bytes = 2; // the brackets
  for (let k = 0; k < members.length; k++) {
    const id = idOf(members[k]);
    // quotes and comma; ids are ASCII (controller ids are A-Z a-z 0-9 . _ : -), so length is bytes
    const size = id.length + 3;
    if (chunk.length > 0 && bytes + size > MEMBERSHIP_CHUNK_BYTES) {
      yield chunk;
      chunk = [];
      bytes = 2;
    }
    chunk.push(id);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}
