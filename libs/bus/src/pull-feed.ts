import { createInbox, nanos, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/nats-core';

/** What the consumer host needs of a delivered JetStream message (a subset of nats.js's JsMsg). */
export interface PulledMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: MsgHdrs | undefined;
  readonly info: { readonly deliveryCount: number; readonly streamSequence: number };
  ack(): void;
  /** redeliver, after `delayMs` when given */
  nak(delayMs?: number): void;
  /** still working on it: restarts the ack wait */
  working(): void;
  /** never redeliver */
  term(): void;
}

export interface PullFeedOptions {
  /** messages asked for by one pull request */
  batch: number;
  /** how long the server keeps one pull request open */
  expiresMs: number;
}

/**
 * How long after a pull's expiry the feed stops waiting for the server's answer (408) and counts the pull as
 * over: the answer was lost with a reconnect, or the server is slow.
 */
const GRACE_MS = 1000;

/** the status codes a JetStream server answers a pull request with */
const STATUS_NO_MESSAGES = 404;
const STATUS_TIMEOUT = 408;
const STATUS_CONFLICT = 409;
const STATUS_NO_RESPONDERS = 503;

/**
 * A JetStream pull consumer read through one inbox for the feed's whole life, one pull request at a time.
 *
 * Why not nats.js's `fetch`: every fetch has its own inbox and an idle-heartbeat monitor on a timer. On a busy
 * machine the timer runs before the socket is read (Node runs due timers before I/O), so the fetch gives up
 * ("heartbeats missed") and unsubscribes while the server may still deliver to it; a message delivered then is
 * lost until the consumer's ack wait (30 s) redelivers it. Under the 5,000-device demo this happened every few
 * seconds and held a rollout's start for 22 s. Here a late message lands on the same inbox and is handled, and
 * no heartbeats are asked for: a pull whose answer never comes is counted as over `GRACE_MS` after its expiry.
 */
export class PullFeed {
  private readonly inbox: string;
  private readonly subscription: Subscription;
  private readonly nextSubject: string;
  private readonly queue: PulledMessage[] = [];
  private wake: (() => void) | undefined;
  /** the pull request in flight: how many messages it may still bring, and when it is over at the latest */
  private pull: { remaining: number; overAt: number } | undefined;
  private failure: Error | undefined;
  private unanswered = false;

  constructor(
    private readonly nc: NatsConnection,
    stream: string,
    consumer: string,
    private readonly options: PullFeedOptions,
  ) {
    this.inbox = createInbox();
    this.nextSubject = `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`;
    this.subscription = nc.subscribe(this.inbox, { callback: (error, msg) => this.receive(error, msg) });
  }

  /** messages received and not yet taken */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * The last pull ended without a word from the server. A 2.9 server answers nothing to a pull for a consumer
   * that does not exist (no heartbeats are asked for to tell either): the caller checks that it still does.
   */
  get lastPullUnanswered(): boolean {
    return this.unanswered;
  }

  /** Sends a pull request unless one is in flight. */
  request(): void {
    if (this.pull) return;
    this.unanswered = false;
    const { batch, expiresMs } = this.options;
    this.pull = { remaining: batch, overAt: Date.now() + expiresMs + GRACE_MS };
    this.nc.publish(this.nextSubject, JSON.stringify({ batch, expires: nanos(expiresMs) }), { reply: this.inbox });
  }

  /**
   * The next message, in delivery order; undefined once the pull in flight is over (satisfied, expired, or
   * given up) and nothing is queued. Rejects when the consumer is gone.
   */
  async next(): Promise<PulledMessage | undefined> {
    for (;;) {
      const message = this.queue.shift();
      if (message) return message;
      if (this.failure) throw this.failure;
      if (!this.pull) return undefined;
      const waitMs = this.pull.overAt - Date.now();
      if (waitMs <= 0) {
        this.pull = undefined;
        this.unanswered = true;
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** Stops receiving. Call it once no pull is in flight, or what the server still delivers waits for its ack wait. */
  close(): void {
    this.subscription.unsubscribe();
  }

  private receive(error: Error | null, msg: Msg): void {
    if (error) {
      this.failure = error;
      return this.wake?.();
    }
    this.unanswered = false;
    if (msg.reply?.startsWith('$JS.ACK.')) {
      this.queue.push(pulledMessage(msg));
      if (this.pull && --this.pull.remaining === 0) this.pull = undefined;
    } else if (msg.headers?.code) {
      this.status(msg.headers);
    }
    this.wake?.();
  }

  private status(headers: MsgHdrs): void {
    switch (headers.code) {
      case STATUS_NO_MESSAGES:
      case STATUS_TIMEOUT:
        this.pull = undefined;
        return;
      case STATUS_CONFLICT:
        // "Consumer Deleted" ends the feed; the others ("Exceeded MaxWaiting", "Leadership Change", …) end the pull.
        if (/deleted/i.test(headers.description)) this.failure = new Error(`consumer deleted: ${headers.description}`);
        this.pull = undefined;
        return;
      case STATUS_NO_RESPONDERS:
        this.failure = new Error('no JetStream consumer answers the pull request (deleted, or JetStream unavailable)');
        this.pull = undefined;
        return;
      default:
        // 100: a heartbeat or flow control, never asked for; anything else ends the pull, not the feed.
        if (headers.code >= 400) this.pull = undefined;
    }
  }
}

/** The acknowledgement protocol of a JetStream delivery, by its reply subject. */
function pulledMessage(msg: Msg): PulledMessage {
  const reply = msg.reply!;
  // $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>, or with
  // <domain>.<account hash> after ACK and a token at the end (the newer form).
  const tokens = reply.split('.');
  const offset = tokens.length === 9 ? 0 : 2;
  const info = { deliveryCount: Number(tokens[4 + offset]), streamSequence: Number(tokens[5 + offset]) };
  let concluded = false;
  const conclude = (payload: string) => {
    if (concluded) return;
    concluded = true;
    msg.respond(payload);
  };
  return {
    subject: msg.subject,
    data: msg.data,
    headers: msg.headers,
    info,
    ack: () => conclude('+ACK'),
    nak: (delayMs?: number) => conclude(delayMs ? `-NAK ${JSON.stringify({ delay: nanos(delayMs) })}` : '-NAK'),
    working: () => {
      if (!concluded) msg.respond('+WPI');
    },
    term: () => conclude('+TERM'),
  };
}
