import { ConcurrencyError, ValidationError } from '@rollgate/shared-domain';
import type { AppendRequest, AppendResult, EventStore } from '@rollgate/event-store';

interface Pending {
  request: AppendRequest;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

export interface GroupCommitOptions {
  /** most appends in one transaction */
  maxBatch: number;
  /** transactions in flight at once; new appends queue up meanwhile and go together in the next one */
  maxInFlight: number;
}

const DEFAULTS: GroupCommitOptions = { maxBatch: 500, maxInFlight: 3 };

/**
 * Group commit for device feedback: appends that arrive while a commit is in flight wait and go into the
 * next transaction together, so thousands of devices cost tens of commits per second, not thousands. Each
 * caller's promise settles only after its own events are durable (answered after the commit).
 * A batch is all or nothing in the event store; when one append in it is refused (a version conflict), the
 * batch is retried append by append so that only that caller sees the refusal.
 * Callers must not have two appends to the same stream in flight at once (ActionCommands serialises them).
 */
export class GroupCommitter {
  private readonly queue: Pending[] = [];
  private inFlight = 0;
  private readonly options: GroupCommitOptions;

  constructor(
    private readonly store: Pick<EventStore, 'appendMany'>,
    options: Partial<GroupCommitOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  append(request: AppendRequest): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.pump();
    });
  }

  /** appends waiting for a transaction (for metrics and tests) */
  get waiting(): number {
    return this.queue.length;
  }

  private async appendWhenConnected(requests: AppendRequest[]): Promise<AppendResult[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.store.appendMany(requests);
      } catch (error) {
        if (!notConnected(error) || attempt >= CONNECT_RETRY_DELAYS_MS.length) throw error;
        await new Promise((resolve) => setTimeout(resolve, CONNECT_RETRY_DELAYS_MS[attempt]));
      }
    }
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight += 1;
      void this.commit(batch).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    try {
      const results = await this.appendWhenConnected(batch.map((p) => p.request));
      batch.forEach((p, i) => p.resolve(results[i]));
    } catch (error) {
      if (batch.length === 1 || !isRefusalOfOne(error)) {
        batch.forEach((p) => p.reject(error));
        return;
      }
      await Promise.all(batch.map((p) => this.store.appendMany([p.request]).then(([result]) => p.resolve(result), (e: unknown) => p.reject(e))));
    }
  }
}

/**
 * PostgreSQL refusing a new connection (too many clients, still starting up) happens before anything is sent,
 * so trying again cannot write twice; a failure after that is passed on (the device posts again).
 */
const CONNECT_RETRY_DELAYS_MS = [50, 200, 800];
const NOT_CONNECTED = new Set(['53300', '57P03']);

function notConnected(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && NOT_CONNECTED.has(code);
}

/** Refusals caused by one request of the batch (the others would have gone through on their own). */
function isRefusalOfOne(error: unknown): boolean {
  return error instanceof ConcurrencyError || error instanceof ValidationError;
}
