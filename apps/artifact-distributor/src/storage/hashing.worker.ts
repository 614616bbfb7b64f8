import { Worker } from 'node:worker_threads';

/**
 * The worker's code, inline rather than a file beside this one, so it runs the same from the sources
 * (under Jest) and from dist/. Plain JavaScript: it is evaluated as is, not compiled.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = workerData.map((algorithm) => [algorithm, createHash(algorithm)]);
parentPort.on('message', (message) => {
  if (message === 'end') {
    parentPort.postMessage(Object.fromEntries(hashes.map(([algorithm, hash]) => [algorithm, hash.digest('hex')])));
    return;
  }
  const chunk = new Uint8Array(message);
  for (const [, hash] of hashes) hash.update(chunk);
  parentPort.postMessage(chunk.byteLength);
});
`;

/** How far the worker may fall behind before the upload waits for it (bounds memory per upload). */
const MAX_IN_FLIGHT_BYTES = 32 * 1024 * 1024;

export type Algorithm = 'sha256' | 'sha1' | 'md5';
type Digests = Partial<Record<Algorithm, string>>;

/**
 * Digests of a stream computed on a worker thread. Hashing three digests costs more CPU than receiving,
 * parsing and writing the upload together; on the main thread it would serialize with them, on workers it
 * overlaps (measured by `npm run bench -- artifacts`, upload_hash).
 */
export class HashingWorker {
  private readonly worker: Worker;
  private inFlight = 0;
  private drained: (() => void) | undefined;
  private done: { resolve: (digests: Digests) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(algorithms: Algorithm[]) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: algorithms });
    this.worker.on('message', (message: number | Digests) => {
      if (typeof message === 'number') {
        this.inFlight -= message;
        if (this.inFlight <= MAX_IN_FLIGHT_BYTES / 2) this.release();
      } else {
        this.done?.resolve(message);
      }
    });
    this.worker.on('error', (error) => {
      this.failure = error;
      this.release();
      this.done?.reject(error);
    });
  }

  /**
   * Hands a batch over; resolves at once unless the worker is too far behind. The batch lives in shared
   * memory, so several workers read the same bytes without a copy each; the caller never writes to it again.
   */
  async update(batch: SharedArrayBuffer): Promise<void> {
    if (this.failure) throw this.failure;
    this.inFlight += batch.byteLength;
    this.worker.postMessage(batch);
    if (this.inFlight > MAX_IN_FLIGHT_BYTES) await new Promise<void>((resolve) => (this.drained = resolve));
    if (this.failure) throw this.failure;
  }

  async digests(): Promise<Digests> {
    if (this.failure) throw this.failure;
    const result = new Promise<Digests>((resolve, reject) => (this.done = { resolve, reject }));
    this.worker.postMessage('end');
    return result;
  }

  async close(): Promise<void> {
    this.release();
    await this.worker.terminate();
  }

  private release(): void {
    const drained = this.drained;
    this.drained = undefined;
    drained?.();
  }
}
