import { createInbox, headers, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import { InfrastructureError } from '@rollgate/shared-domain';

export interface OutgoingMessage {
  subject: string;
  payload: string;
  /** becomes `Nats-Msg-Id`: JetStream drops a second message with the same id within its window */
  msgId: string;
  headers?: MsgHdrs;
}

/** JetStream's answer to one publish: where it was stored, or why not. */
export type PublishOutcome = { stream: string; seq: number; duplicate: boolean } | InfrastructureError;

interface PendingBatch {
  outcomes: Array<PublishOutcome | undefined>;
  remaining: number;
  resolve(outcomes: PublishOutcome[]): void;
  timer: NodeJS.Timeout;
}

/**
 * Publishes batches to JetStream the way high-throughput publishers do (the Go client's PublishAsync):
 * each message goes out with a reply subject under one wildcard inbox, and a single subscription collects
 * the acknowledgements. nats.js's js.publish() builds a request per message (routing entry, timer, promise
 * and an Error for its stack), which was most of the relay's CPU. Messages still leave in send order on one
 * connection, so JetStream stores them in that order.
 */
export class JetStreamBatchPublisher {
  private readonly inbox = createInbox();
  private readonly subscription: Subscription;
  private readonly batches = new Map<number, PendingBatch>();
  private nextBatch = 0;
  private readonly idOnly = headers();

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs = 10_000,
  ) {
    this.subscription = nc.subscribe(`${this.inbox}.>`, { callback: (_error, msg) => this.onReply(msg) });
  }

  /**
   * Resolves with one outcome per message, in order, once every message is answered; a message left
   * unanswered by the timeout gets an error outcome. Never rejects: the caller decides what failed means.
   */
  publishBatch(messages: readonly OutgoingMessage[]): Promise<PublishOutcome[]> {
    if (messages.length === 0) return Promise.resolve([]);
    const id = this.nextBatch++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.expire(id), this.timeoutMs);
      this.batches.set(id, { outcomes: new Array(messages.length), remaining: messages.length, resolve, timer });
      messages.forEach((message, index) => {
        // publish() encodes the headers before it returns: messages without headers of their own share one set.
        const hdrs = message.headers ?? this.idOnly;
        hdrs.set('Nats-Msg-Id', message.msgId);
        this.nc.publish(message.subject, message.payload, { reply: `${this.inbox}.${id}.${index}`, headers: hdrs });
      });
    });
  }

  async close(): Promise<void> {
    for (const id of [...this.batches.keys()]) this.expire(id);
    await this.subscription.drain().catch(() => undefined);
  }

  private onReply(msg: Msg): void {
    const [batchId, index] = msg.subject.slice(this.inbox.length + 1).split('.').map(Number);
    const batch = this.batches.get(batchId);
    // A late answer for a batch that already timed out: the caller is retrying it, and dedup handles it.
    if (!batch || batch.outcomes[index] !== undefined) return;
    batch.outcomes[index] = outcomeOf(msg);
    batch.remaining -= 1;
    if (batch.remaining === 0) this.settle(batchId, batch);
  }

  private expire(batchId: number): void {
    const batch = this.batches.get(batchId);
    if (!batch) return;
    batch.outcomes = batch.outcomes.map((outcome) => outcome ?? new InfrastructureError('jetstream_publish_timeout', `no acknowledgement within ${this.timeoutMs} ms`, undefined));
    this.settle(batchId, batch);
  }

  private settle(batchId: number, batch: PendingBatch): void {
    clearTimeout(batch.timer);
    this.batches.delete(batchId);
    batch.resolve(batch.outcomes as PublishOutcome[]);
  }
}

function outcomeOf(msg: Msg): PublishOutcome {
  if (msg.headers?.hasError) {
    // 503: no stream listens on the subject (the server's "no responders" status).
    return new InfrastructureError('jetstream_publish_failed', `JetStream answered ${msg.headers.code} ${msg.headers.description}`, undefined);
  }
  try {
    const body = msg.json<{ stream?: string; seq?: number; duplicate?: boolean; error?: { code: number; description: string } }>();
    if (body.error) return new InfrastructureError('jetstream_publish_failed', `JetStream refused the message: ${body.error.code} ${body.error.description}`, undefined);
    return { stream: body.stream ?? '', seq: body.seq ?? 0, duplicate: body.duplicate === true };
  } catch (error) {
    return new InfrastructureError('jetstream_publish_failed', 'unreadable JetStream acknowledgement', error);
  }
}
