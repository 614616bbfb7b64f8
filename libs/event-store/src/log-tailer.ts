import type { Pool, PoolClient } from 'pg';
import type { EventStore } from './event-store';
import { checkpointOf, type Checkpoint, type LogPosition, type StoredEvent } from './types';

export interface TailOptions<T extends LogPosition = StoredEvent> {
  /** how a page is read; EventStore.readAll by default (the relay reads pre-rendered CloudEvents) */
  read?: (after: Checkpoint, limit: number) => Promise<T[]>;
  batchSize?: number;
  /** longest wait between polls when nothing new arrives; a NOTIFY from an append wakes the tailer sooner */
  idleMs?: number;
  signal?: AbortSignal;
}

/**
 * Follows the global log from a checkpoint, forever (until the signal aborts), yielding batches in log
 * order. Waits on LISTEN rollgate_events between polls, and polls anyway every `idleMs`: an event can be
 * committed but not yet readable while an older transaction is still open (see EventStore.readAll).
 */
export async function* tailLog<T extends LogPosition = StoredEvent>(pool: Pool, store: EventStore, from: Checkpoint, options: TailOptions<T> = {}): AsyncGenerator<T[]> {
  const { batchSize = 1000, idleMs = 200, signal } = options;
  const read = options.read ?? ((after: Checkpoint, limit: number) => store.readAll(after, limit) as Promise<unknown[]> as Promise<T[]>);
  const wakeup = await AppendListener.open(pool);
  let checkpoint = from;
  let readAhead: Promise<T[]> | undefined;
  try {
    while (!signal?.aborted) {
      const batch = await (readAhead ?? read(checkpoint, batchSize));
      readAhead = undefined;
      if (batch.length > 0) {
        checkpoint = checkpointOf(batch[batch.length - 1]);
        // A full page means more is probably waiting: read it while the caller handles this one.
        if (batch.length === batchSize) readAhead = read(checkpoint, batchSize);
        yield batch;
        if (readAhead) continue;
      }
      await wakeup.next(idleMs, signal);
    }
  } finally {
    // A read-ahead still in flight when the caller stops must not surface as an unhandled rejection.
    await readAhead?.catch(() => undefined);
    await wakeup.close();
  }
}

/** A dedicated connection that LISTENs for the append trigger's notifications. */
class AppendListener {
  private pending = false;
  private resolveWait: (() => void) | undefined;

  private constructor(private readonly client: PoolClient) {
    client.on('notification', () => this.wake());
    // pg-pool drops its own error listener while a client is checked out; without one, a dropped
    // connection would crash the process. The next poll reports the failure through readAll instead.
    client.on('error', () => this.wake());
  }

  static async open(pool: Pool): Promise<AppendListener> {
    const client = await pool.connect();
    await client.query('LISTEN rollgate_events');
    return new AppendListener(client);
  }

  /** Resolves on the next notification (or one that came since the last wait), the timeout, or abort. */
  next(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.resolveWait = undefined;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done, { once: true });
      this.resolveWait = done;
    });
  }

  private wake(): void {
    if (this.resolveWait) this.resolveWait();
    else this.pending = true;
  }

  async close(): Promise<void> {
    await this.client.query('UNLISTEN rollgate_events').catch(() => undefined);
    this.client.release();
  }
}
