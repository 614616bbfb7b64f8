import type { IncomingMessage } from 'node:http';
import type { HttpClient } from '../ddi/http-client';
import { ArtifactVerifier, parseContentRange, type ExpectedArtifact } from './artifact-verifier';

export interface DownloadOptions {
  headers?: Record<string, string>;
  /** cut the transfer once this many bytes arrived (a simulated network drop), then resume with Range */
  interruptAtByte?: number;
  /** resumes allowed after real or simulated interruptions */
  maxResumes?: number;
  signal?: AbortSignal;
  onBytes?: (count: number) => void;
}

export type DownloadOutcome =
  | { ok: true; bytes: number; resumes: number }
  | { ok: false; reason: string; resumes: number; checksum?: boolean };

class TransferCut extends Error {}

/**
 * Downloads one artifact, hashing as it goes; after an interruption it asks for the rest with
 * `Range: bytes=<received>-` and `If-Range: <etag>`, so a changed file comes back whole (200) and the hashes
 * start over. Only byte counts and hash states are kept: the content itself is discarded.
 */
export async function downloadArtifact(http: HttpClient, url: string, expected: ExpectedArtifact, options: DownloadOptions = {}): Promise<DownloadOutcome> {
  const verifier = new ArtifactVerifier();
  const maxResumes = options.maxResumes ?? 5;
  let etag: string | undefined;
  let resumes = 0;
  let cutPending = options.interruptAtByte !== undefined && options.interruptAtByte < expected.size;
  for (;;) {
    const headers: Record<string, string> = { ...options.headers };
    if (verifier.received > 0) {
      headers.range = `bytes=${verifier.received}-`;
      if (etag !== undefined) headers['if-range'] = etag;
    }
    try {
      const response = await http.open(url, { headers, signal: options.signal });
      const refused = acceptAnswer(response, verifier, expected);
      if (refused === 'complete') break;
      if (refused !== undefined) {
        response.resume();
        return { ok: false, reason: refused, resumes };
      }
      const total = announcedTotal(response);
      if (total !== undefined && total !== expected.size) {
        // The server's content is not the artifact the chunk announced: no point fetching it.
        response.destroy();
        return { ok: false, reason: `size ${total} != ${expected.size}`, resumes, checksum: true };
      }
      if (response.statusCode === 200) etag = header(response, 'etag') ?? etag;
      for await (const chunk of response as AsyncIterable<Buffer>) {
        if (cutPending && verifier.received + chunk.length >= (options.interruptAtByte as number)) {
          const keep = (options.interruptAtByte as number) - verifier.received;
          if (keep > 0) verifier.update(chunk.subarray(0, keep));
          options.onBytes?.(keep);
          cutPending = false;
          response.destroy();
          throw new TransferCut('transfer cut');
        }
        verifier.update(chunk);
        options.onBytes?.(chunk.length);
      }
      if (verifier.received < expected.size) throw new TransferCut('answer ended early');
      break;
    } catch (error) {
      if (options.signal?.aborted) return { ok: false, reason: 'aborted', resumes };
      resumes++;
      if (resumes > maxResumes) return { ok: false, reason: `transfer failed after ${maxResumes} resumes: ${(error as Error).message}`, resumes };
    }
  }
  const verdict = verifier.verify(expected);
  return verdict.ok ? { ok: true, bytes: verifier.received, resumes } : { ok: false, reason: verdict.reason, resumes, checksum: true };
}

/** Returns a refusal reason, 'complete', or undefined when the answer's body is the next bytes to hash. */
function acceptAnswer(response: IncomingMessage, verifier: ArtifactVerifier, expected: ExpectedArtifact): string | 'complete' | undefined {
  const status = response.statusCode ?? 0;
  if (status === 200) {
    // A full answer to a Range request: the server ignored it or the content changed (If-Range). Start over.
    if (verifier.received > 0) verifier.reset();
    return undefined;
  }
  if (status === 206) {
    const range = parseContentRange(header(response, 'content-range'));
    if (!range || range.start !== verifier.received) return `unexpected Content-Range "${header(response, 'content-range') ?? ''}"`;
    return undefined;
  }
  // Everything had arrived when the transfer was cut right at the end.
  if (status === 416 && verifier.received === expected.size) return 'complete';
  return `HTTP ${status}`;
}

/** The whole content's size as the answer states it (Content-Length of a 200, the total of a Content-Range). */
function announcedTotal(response: IncomingMessage): number | undefined {
  if (response.statusCode === 206) return parseContentRange(header(response, 'content-range'))?.total;
  const length = header(response, 'content-length');
  return length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
}

function header(response: IncomingMessage, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
