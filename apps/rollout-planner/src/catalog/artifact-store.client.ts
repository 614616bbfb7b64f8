import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { toHttpError } from '@rollgate/service-kit';
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** What artifact-distributor answers for a stored upload (its ArtifactStored plus `deduplicated`). */
export interface StoredArtifact {
  sha256: string;
  sha1: string;
  md5: string;
  size: number;
  fileName: string;
  signature?: { algorithm: 'ed25519'; keyId: string; value: string };
  deduplicated: boolean;
}

/** An upload refused or failed on the way to the store, with the status and code the API client sees. */
export class ArtifactUploadError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** Statuses of the distributor that are the uploader's doing, passed on with the distributor's code. */
const CLIENT_FAULTS = new Set([400, 413, 415, 422]);
/** Answers larger than this are not the small JSON document the distributor sends. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * Streams a multipart upload, as it arrives, to artifact-distributor's `POST /artifacts/v1/:tenant` with the
 * planner's service credential. Nothing is buffered beyond the socket's own chunks: the request body is piped
 * straight into the outgoing request, with backpressure, and the distributor hashes while it stores.
 */
export function forwardUpload(store: { url: string; uploadToken: string }, tenant: string, upload: IncomingMessage): Promise<StoredArtifact> {
  const target = new URL(`${store.url}/artifacts/v1/${encodeURIComponent(tenant)}`);
  const headers: Record<string, string> = { authorization: `Bearer ${store.uploadToken}`, 'content-type': String(upload.headers['content-type']) };
  if (upload.headers['content-length']) headers['content-length'] = String(upload.headers['content-length']);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = send(target, { method: 'POST', headers }, (answer) => {
      const chunks: Buffer[] = [];
      let size = 0;
      answer.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
      });
      answer.on('error', () => reject(unavailable()));
      answer.on('end', () => {
        // The client may still be sending (an early refusal such as 413): stop reading what is left.
        upload.unpipe(outgoing);
        upload.resume();
        settle(answer.statusCode ?? 502, Buffer.concat(chunks).toString('utf8'), resolve, reject);
      });
    });
    outgoing.on('error', () => reject(unavailable()));
    upload.on('error', () => {
      outgoing.destroy();
      reject(new ArtifactUploadError(400, 'upload_interrupted', 'the upload was interrupted before it was complete'));
    });
    upload.pipe(outgoing);
  });
}

function settle(status: number, text: string, resolve: (stored: StoredArtifact) => void, reject: (error: ArtifactUploadError) => void): void {
  let body: { code?: unknown; message?: unknown } & Partial<StoredArtifact> = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // Not JSON: treated as the store failing, below.
  }
  if (status === 201 && typeof body.sha256 === 'string') return resolve(body as StoredArtifact);
  if (CLIENT_FAULTS.has(status)) {
    return reject(new ArtifactUploadError(status, typeof body.code === 'string' ? body.code : 'upload_refused', typeof body.message === 'string' ? body.message : 'the artifact store refused the upload'));
  }
  // 401/403/503 mean the planner and the store disagree on the credential: an operator's problem, not the client's.
  reject(new ArtifactUploadError(502, 'artifact_store_refused', `the artifact store answered ${status}`));
}

function unavailable(): ArtifactUploadError {
  return new ArtifactUploadError(502, 'artifact_store_unavailable', 'the artifact store cannot be reached');
}

/** Answers ArtifactUploadError with its own status and code; everything else the kit's way. */
@Catch()
export class ArtifactUploadErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('artifacts');

  catch(exception: unknown, host: ArgumentsHost): void {
    const { status, body } = exception instanceof ArtifactUploadError ? { status: exception.status, body: { code: exception.code, message: exception.message } } : toHttpError(exception);
    if (status >= 500) this.logger.error(exception instanceof Error ? exception.message : String(exception));
    host.switchToHttp().getResponse<{ code(status: number): { send(body: unknown): unknown } }>().code(status).send(body);
  }
}
