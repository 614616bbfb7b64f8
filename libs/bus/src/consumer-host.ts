import { AckPolicy, DeliverPolicy, jetstreamManager, JetStreamApiCodes, JetStreamApiError, type ConsumerConfig, type ConsumerInfo } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/nats-core';
import type { Pool } from 'pg';
import { allEventsSubject, type BusNames, type CloudEvent } from '@rollgate/contracts';
import { InfrastructureError, ValidationError } from '@rollgate/shared-domain';
import { abortableSleep } from './abortable-sleep';
import { errorFields, STDERR_LOGGER, type BusLogger } from './bus-logger';
import { insertDeadLetter, listDeadLetters, lockDeadLetter, markReplayed, markReplayFailed, type DeadLetter } from './dead-letters';
import { inTransaction } from '@rollgate/event-store';
import { applyOnce, decodeBusEvent, type EventHandler } from './idempotent-apply';
import { consumerFilterFor, subjectKey, supportsMultiFilter, type ConsumerFilter } from './consumer-filter';
import { PullFeed, type PulledMessage } from './pull-feed';

export type { EventHandler, HandlerContext } from './idempotent-apply';

export interface ConsumerHostOptions {
  pool: Pool;
  nc: NatsConnection;
  names: BusNames;
  /** the durable consumer's name, e.g. 'group-scheduler'; also the `consumer` in processed_events */
  durableName: string;
  handlerFor: (type: string) => EventHandler | undefined;
  /** default allEventsSubject(names); one subject only (NATS 2.9 has no multi-filter consumers) */
  filterSubject?: string;
  /**
   * The event types `handlerFor` handles. When given (and no `filterSubject`), the consumer receives only
   * their subjects, as narrowly as the server allows (see consumerFilterFor), and acks any other subject
   * without decoding it. An existing durable consumer with another filter is recreated where it stood.
   */
  eventTypes?: readonly string[];
  /** deliveries before a failing event is termed and dead-lettered; default 5 */
  maxDeliver?: number;
  /** nak delay after the n-th failed delivery (the last one repeats); default [200, 1000, 5000, 15000] */
  backoffMs?: number[];
  /** messages pulled ahead; default 100 */
  batchSize?: number;
  /** how long JetStream waits for an ack before redelivering; default 30 s (handlers in progress extend it) */
  ackWaitMs?: number;
  /**
   * Asked before a handled event's transaction: true when the service knows the handler would do nothing with
   * it now (group-scheduler: a target event while the tenant has no dynamic rollout). The event is then acked
   * without a transaction or a processed-event record. A rejection counts as false.
   */
  skipWithoutTransaction?: (event: CloudEvent) => Promise<boolean>;
  logger?: BusLogger;
}

export interface ConsumerStats {
  applied: number;
  duplicates: number;
  /** acked without work: no handler for the type */
  skipped: number;
  retried: number;
  deadLettered: number;
}

const DEFAULT_BACKOFF_MS = [200, 1000, 5000, 15000];
const REATTACH_DELAY_MS = 1000;
/** how long the server keeps a pull open: bounds how long a stop waits for the last pull */
const PULL_EXPIRES_MS = 1000;

/**
 * Runs handlers for one durable JetStream pull consumer, exactly once in effect.
 *
 * Per message, in stream order, one at a time (handlers rely on order):
 * - not a Rollgate CloudEvent: dead-letter, then term (redelivering it cannot help);
 * - a subject outside `eventTypes`, or no handler for its type: ack (a consumer filter may be wider than
 *   the handled types, see consumerFilterFor);
 * - `skipWithoutTransaction` says the handler would do nothing with it now: ack, nothing recorded;
 * - else, in one transaction: record (consumer, event id) as processed, run the handler; commit; then ack.
 *   An event already recorded is a duplicate: commit and ack without running the handler.
 * - handler error: roll back; nak with the backoff for this delivery, or after `maxDeliver` deliveries
 *   dead-letter and term.
 * Acking only after the commit means a crash between the two redelivers an event that is then a duplicate.
 * A redelivered message (nak, crash, ack timeout) arrives after messages that were behind it: order holds
 * for the happy path, and handlers must tolerate that as they tolerate duplicates.
 */
export class ConsumerHost {
  private readonly logger: BusLogger;
  private readonly maxDeliver: number;
  private readonly backoffMs: number[];
  private readonly ackWaitMs: number;
  private loop: Promise<void> | undefined;
  private stopController = new AbortController();
  private pulling = false;
  private filter: ConsumerFilter | undefined;
  private readonly counters: ConsumerStats = { applied: 0, duplicates: 0, skipped: 0, retried: 0, deadLettered: 0 };

  constructor(private readonly options: ConsumerHostOptions) {
    this.logger = options.logger ?? STDERR_LOGGER;
    this.maxDeliver = options.maxDeliver ?? 5;
    this.backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
    this.ackWaitMs = options.ackWaitMs ?? 30_000;
  }

  /** Creates or updates the durable consumer and starts pulling. Rejects when the stream is missing. */
  async start(): Promise<void> {
    if (this.loop) return;
    this.stopController = new AbortController();
    await this.ensureConsumer();
    this.pulling = true;
    this.loop = this.run();
  }

  /**
   * Stops pulling, lets the handler in progress finish, commit and ack, hands messages that arrive for the
   * last pull back to JetStream, and flushes the acks. Takes at most the handler in progress plus one pull's
   * expiry (1 s).
   */
  async stop(): Promise<void> {
    if (!this.loop) return;
    this.stopController.abort();
    await this.loop;
    await this.options.nc.flush().catch(() => undefined);
    this.loop = undefined;
  }

  /** pulling from an existing consumer: for /readyz */
  get attached(): boolean {
    return this.pulling && !this.options.nc.isClosed();
  }

  get consumer(): string {
    return this.options.durableName;
  }

  get stats(): ConsumerStats {
    return { ...this.counters };
  }

  /** Dead letters of this consumer, oldest first; replayed ones only with `includeReplayed`. */
  async listDeadLetters(limit = 100, options: { includeReplayed?: boolean } = {}): Promise<DeadLetter[]> {
    return listDeadLetters(this.options.pool, this.consumer, limit, options.includeReplayed ?? false);
  }

  /**
   * Runs a dead letter's stored payload through the same path as a delivery (idempotent by event id) and
   * marks it replayed in the same transaction. A replay that fails records `replay_error` and rejects; a
   * dead letter already replayed is left alone.
   */
  async replayDeadLetter(id: string): Promise<void> {
    if (!/^[1-9][0-9]{0,18}$/.test(id)) throw new ValidationError(`dead letter ${id} of consumer ${this.consumer} not found`, [], 'dead_letter_not_found');
    try {
      await inTransaction(this.options.pool, async (tx) => {
        const letter = await lockDeadLetter(tx, this.consumer, id);
        if (!letter) throw new ValidationError(`dead letter ${id} of consumer ${this.consumer} not found`, [], 'dead_letter_not_found');
        if (letter.replayedAt) return;
        const event = decodeBusEvent(letter.payload);
        const handler = this.options.handlerFor(event.type);
        if (!handler) throw new ValidationError(`consumer ${this.consumer} has no handler for ${event.type}`, [], 'no_handler');
        await applyOnce(tx, { event, deliveryCount: letter.deliveries + 1, consumer: this.consumer }, handler);
        await markReplayed(tx, id);
      });
    } catch (error) {
      if (!(error instanceof ValidationError && error.code === 'dead_letter_not_found')) {
        await markReplayFailed(this.options.pool, id, (error as Error).message).catch((e) => this.logger.error({ ...errorFields(e), deadLetter: id }, 'could not record the replay error'));
      }
      throw error;
    }
  }

  /**
   * Pulls one bounded request at a time through a PullFeed (see there why not nats.js's fetch). JetStream 2.9
   * cannot cancel a pull request, so messages keep arriving for it until it expires: on stop the loop keeps
   * the feed's inbox until the last pull is over and hands back what arrives, so that no message is delivered
   * into a closed inbox (which would leave it unacked until ack_wait, 30 s later).
   */
  private async run(): Promise<void> {
    const stopped = this.stopController.signal;
    let feed: PullFeed | undefined;
    while (!stopped.aborted) {
      try {
        feed ??= new PullFeed(this.options.nc, this.options.names.eventsStream, this.consumer, { batch: this.options.batchSize ?? 100, expiresMs: PULL_EXPIRES_MS });
        await this.pullOnce(feed, stopped);
        this.pulling = true;
      } catch (error) {
        feed?.close();
        feed = undefined;
        this.pulling = false;
        if (stopped.aborted) break;
        this.logger.warn({ ...errorFields(error), consumer: this.consumer }, 'consumer detached; reattaching');
        await abortableSleep(REATTACH_DELAY_MS, stopped);
        // A pull fails when the consumer was deleted: put it back before pulling again.
        await this.ensureConsumer().catch((e) => this.logger.warn({ ...errorFields(e), consumer: this.consumer }, 'could not recreate the consumer'));
      }
    }
    feed?.close();
    this.pulling = false;
  }

  /**
   * One pull, processed message by message until it is satisfied or expires. Acks of messages skipped by
   * subject are held while more messages are already queued, and then sent together: nats.js flushes its
   * outbound buffer in a microtask, which runs between two iterations of the loop, so acking each one at once
   * costs a socket write per message (most of a consumer's CPU behind a burst of events it does not handle).
   * They are sent before anything is handled, and whatever happens to the pull.
   */
  private async pullOnce(feed: PullFeed, stopped: AbortSignal): Promise<void> {
    if (!stopped.aborted) feed.request();
    const skipped: PulledMessage[] = [];
    try {
      for (let msg = await feed.next(); msg; msg = await feed.next()) {
        if (stopped.aborted) {
          // Redelivered once this pull has surely expired: to another instance, or to this one's next start.
          msg.nak(PULL_EXPIRES_MS);
          continue;
        }
        if (this.unhandledSubject(msg)) {
          this.counters.skipped += 1;
          skipped.push(msg);
          if (feed.queued === 0) ackAll(skipped);
          continue;
        }
        ackAll(skipped);
        await this.process(msg);
      }
    } finally {
      ackAll(skipped);
    }
    if (feed.lastPullUnanswered && !stopped.aborted) await this.assertConsumerExists();
  }

  /** Throws (and so reattaches, recreating it) when the consumer is gone: a 2.9 server does not say so to a pull. */
  private async assertConsumerExists(): Promise<void> {
    const jsm = await jetstreamManager(this.options.nc);
    await jsm.consumers.info(this.options.names.eventsStream, this.consumer);
  }

  /** Nobody here handles this subject's event, well-formed or not: decoding it would only cost CPU. */
  private unhandledSubject(msg: PulledMessage): boolean {
    return this.filter !== undefined && !this.filter.handledKeys.has(subjectKey(msg.subject));
  }

  private async process(msg: PulledMessage): Promise<void> {
    const deliveryCount = msg.info.deliveryCount;
    let event: CloudEvent;
    try {
      event = decodeBusEvent(msg.data);
    } catch (error) {
      await this.deadLetter(msg, undefined, error, deliveryCount);
      return;
    }
    const handler = this.options.handlerFor(event.type);
    if (!handler) {
      this.counters.skipped += 1;
      msg.ack();
      return;
    }
    if (deliveryCount > this.maxDeliver) {
      // The server allows one delivery more than maxDeliver: it arrives only when earlier deliveries never
      // concluded (the process died in the handler, or the ack timed out). Do not run it again: it may be
      // what kills the process.
      await this.deadLetter(msg, event, new Error(`${deliveryCount - 1} deliveries never concluded`), deliveryCount);
      return;
    }
    if (await this.skippable(event)) {
      this.counters.skipped += 1;
      msg.ack();
      return;
    }
    await this.handle(msg, event, handler, deliveryCount);
  }

  private async skippable(event: CloudEvent): Promise<boolean> {
    if (!this.options.skipWithoutTransaction) return false;
    return this.options.skipWithoutTransaction(event).catch((error) => {
      this.logger.warn({ ...errorFields(error), consumer: this.consumer, eventId: event.id }, 'skip check failed; handling the event');
      return false;
    });
  }

  private async handle(msg: PulledMessage, event: CloudEvent, handler: EventHandler, deliveryCount: number): Promise<void> {
    const keepAlive = setInterval(() => msg.working(), Math.max(1000, this.ackWaitMs / 3));
    try {
      const outcome = await inTransaction(this.options.pool, (tx) =>
        applyOnce(tx, { event, deliveryCount, consumer: this.consumer }, handler, msg.headers?.get('traceparent') || undefined),
      );
      // Ack only after the commit: a crash in between redelivers the event, which is then a duplicate.
      msg.ack();
      if (outcome === 'applied') this.counters.applied += 1;
      else this.counters.duplicates += 1;
    } catch (error) {
      await this.failed(msg, event, error, deliveryCount);
    } finally {
      clearInterval(keepAlive);
    }
  }

  private async failed(msg: PulledMessage, event: CloudEvent, error: unknown, deliveryCount: number): Promise<void> {
    if (deliveryCount >= this.maxDeliver) {
      await this.deadLetter(msg, event, error, deliveryCount);
      return;
    }
    const delayMs = this.backoffFor(deliveryCount);
    this.counters.retried += 1;
    this.logger.warn({ ...errorFields(error), consumer: this.consumer, eventId: event.id, type: event.type, deliveryCount, retryInMs: delayMs }, 'handler failed; will retry');
    msg.nak(delayMs);
  }

  /**
   * The dead letter is written before the term: a message must never be dropped without a record. While
   * the row cannot be written (the database is down) the message is kept in progress and the write retried;
   * nothing behind it could be handled meanwhile anyway.
   */
  private async deadLetter(msg: PulledMessage, event: CloudEvent | undefined, error: unknown, deliveries: number): Promise<void> {
    const letter = {
      consumer: this.consumer,
      subject: msg.subject,
      streamSequence: msg.info.streamSequence,
      eventId: event?.id,
      eventType: event?.type,
      payload: msg.data,
      error: (error as Error)?.message ?? String(error),
      deliveries,
    };
    let delayMs = this.backoffFor(1);
    for (;;) {
      try {
        const id = await insertDeadLetter(this.options.pool, letter);
        // No reason argument: `+TERM <reason>` needs NATS 2.11, and 2.9 ignores the whole ack.
        msg.term();
        this.counters.deadLettered += 1;
        this.logger.error({ consumer: this.consumer, deadLetter: id, eventId: event?.id, type: event?.type, streamSequence: letter.streamSequence, deliveries, error: letter.error }, 'message dead-lettered');
        return;
      } catch (dbError) {
        if (this.stopController.signal.aborted) {
          msg.nak();
          return;
        }
        this.logger.error({ ...errorFields(dbError), consumer: this.consumer }, 'could not write a dead letter; retrying');
        msg.working();
        await abortableSleep(delayMs, this.stopController.signal);
        delayMs = Math.min(delayMs * 2, this.ackWaitMs / 3);
      }
    }
  }

  private backoffFor(deliveryCount: number): number {
    if (this.backoffMs.length === 0) return 0;
    return this.backoffMs[Math.min(deliveryCount, this.backoffMs.length) - 1];
  }

  /**
   * Creates the durable consumer, or updates the settings that may change on an existing one. The server's
   * max_deliver is one more than the host's: the host terms at maxDeliver itself, and the spare delivery is
   * how it learns about a message whose deliveries all died with the process (see `process`).
   */
  private async ensureConsumer(): Promise<void> {
    const jsm = await jetstreamManager(this.options.nc);
    const stream = this.options.names.eventsStream;
    const explicit = this.options.filterSubject;
    this.filter = explicit || !this.options.eventTypes ? undefined : consumerFilterFor(this.options.names, this.options.eventTypes, supportsMultiFilter(this.options.nc.info?.version));
    const wanted = explicit ? [explicit] : (this.filter?.subjects ?? [allEventsSubject(this.options.names)]);
    const filterConfig = wanted.length === 1 ? { filter_subject: wanted[0] } : { filter_subjects: wanted };
    const settings = { ack_wait: nanos(this.ackWaitMs), max_deliver: this.maxDeliver + 1 };
    let existing: ConsumerInfo | undefined;
    try {
      existing = await jsm.consumers.info(stream, this.consumer);
    } catch (error) {
      if (!(error instanceof JetStreamApiError)) throw error;
      if (error.code === JetStreamApiCodes.StreamNotFound) throw new InfrastructureError('bus_stream_missing', `stream ${stream} does not exist: provision the streams first`, error);
      if (error.code !== JetStreamApiCodes.ConsumerNotFound) throw error;
    }
    if (!existing) {
      await jsm.consumers.add(stream, { durable_name: this.consumer, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ...filterConfig, ...settings });
      return;
    }
    const current = filtersOf(existing.config);
    if (!sameFilters(current, wanted)) {
      if (explicit) {
        throw new ValidationError(`consumer ${this.consumer} filters on ${current.join(', ')}, not ${explicit}: delete it or choose another durable name`, [], 'consumer_filter_changed');
      }
      await this.recreateWithFilter(existing, filterConfig, settings);
      return;
    }
    if (existing.config.ack_wait !== settings.ack_wait || existing.config.max_deliver !== settings.max_deliver) {
      await jsm.consumers.update(stream, this.consumer, settings);
    }
  }

  /**
   * The handled types changed (or the consumer predates filtering): NATS 2.9 cannot change a filter, so
   * the consumer is replaced by one that starts after the old one's ack floor. Events delivered but not
   * acked are delivered again, which processed_events makes harmless; none is skipped.
   */
  private async recreateWithFilter(existing: ConsumerInfo, filterConfig: Partial<ConsumerConfig>, settings: Partial<ConsumerConfig>): Promise<void> {
    const jsm = await jetstreamManager(this.options.nc);
    const stream = this.options.names.eventsStream;
    const resumeAt = existing.ack_floor.stream_seq + 1;
    this.logger.warn({ consumer: this.consumer, from: filtersOf(existing.config), to: filterConfig, resumeAt }, 'consumer filter changed; recreating the consumer at its ack floor');
    await jsm.consumers.delete(stream, this.consumer);
    const start = resumeAt > 1 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: resumeAt } : { deliver_policy: DeliverPolicy.All };
    await jsm.consumers.add(stream, { durable_name: this.consumer, ack_policy: AckPolicy.Explicit, ...start, ...filterConfig, ...settings });
  }
}

function ackAll(messages: PulledMessage[]): void {
  for (const msg of messages) msg.ack();
  messages.length = 0;
}

function filtersOf(config: ConsumerConfig): string[] {
  if (config.filter_subjects?.length) return config.filter_subjects;
  return config.filter_subject ? [config.filter_subject] : [];
}

function sameFilters(a: readonly string[], b: readonly string[]): boolean {
  const sortedB = [...b].sort();
  return a.length === b.length && [...a].sort().every((subject, i) => subject === sortedB[i]);
}
