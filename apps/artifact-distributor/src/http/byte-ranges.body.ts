import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { rangeLength, type ByteRange } from '@rollgate/artifacts-domain';
import type { ContentStore } from '../storage/content-store';

export interface MultipartBody {
  contentType: string;
  length: number;
  body: Readable;
}

/**
 * A `multipart/byteranges` body (RFC 9110 14.6) streamed part by part from the store; its exact length is
 * known up front, so clients see a Content-Length and can tell a cut connection from a complete answer.
 */
export function byteRangesBody(store: ContentStore, sha256: string, ranges: ByteRange[], size: number, contentType: string): MultipartBody {
  const boundary = `rollgate-${randomBytes(12).toString('hex')}`;
  const heads = ranges.map((r, i) => Buffer.from(`${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Type: ${contentType}\r\nContent-Range: bytes ${r.start}-${r.end}/${size}\r\n\r\n`));
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const length = heads.reduce((sum, h) => sum + h.length, 0) + ranges.reduce((sum, r) => sum + rangeLength(r), 0) + tail.length;
  async function* parts(): AsyncGenerator<Buffer> {
    for (const [i, range] of ranges.entries()) {
      yield heads[i];
      for await (const chunk of store.read(sha256, range)) yield chunk as Buffer;
    }
    yield tail;
  }
  return { contentType: `multipart/byteranges; boundary=${boundary}`, length, body: Readable.from(parts(), { objectMode: false }) };
}
