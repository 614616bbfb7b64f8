import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import { headers } from '@nats-io/nats-core';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { eventSubject, type BusNames } from '@rollgate/contracts';
import type { RelayRecord } from '@rollgate/event-store';
import { InfrastructureError } from '@rollgate/shared-domain';
import { contextFromTraceparent, traceparentOfSpan } from './trace-context';

const tracer = trace.getTracer('rollgate-relay');

export interface PublishedBatch {
  /** events newly stored by JetStream */
  stored: number;
  /** events JetStream already had (a republished batch after a crash): dropped by `Nats-Msg-Id` */
  duplicates: number;
}

/**
 * Publishes batches of log events as structured CloudEvents. All publishes of a batch are in flight at once
 * (one connection, so JetStream stores them in send order) and the batch completes only when every one is
 * acknowledged: per-event round trips would cap the relay far below what JetStream can take.
 */
export class RelayPublisher {
  constructor(
    private readonly js: JetStreamClient,
    private readonly names: BusNames,
  ) {}

  /**
   * Resolves when JetStream has stored every event of the batch; rejects, once every publish has settled,
   * with the first failure. A rejected batch is safe to publish again: `Nats-Msg-Id` = event id.
   */
  async publish(batch: RelayRecord[]): Promise<PublishedBatch> {
    const results = await Promise.allSettled(batch.map((event) => this.publishOne(event)));
    let duplicates = 0;
    for (const result of results) {
      if (result.status === 'rejected') throw result.reason;
      if (result.value.stream !== this.names.eventsStream) {
        throw new InfrastructureError('bus_misconfigured', `subject is captured by stream ${result.value.stream}, not ${this.names.eventsStream}`, undefined);
      }
      if (result.value.duplicate) duplicates += 1;
    }
    return { stored: batch.length - duplicates, duplicates };
  }

  /** The CloudEvent text comes rendered from the log (EventStore.readCloudEvents): no decode, no encode. */
  private publishOne(record: RelayRecord): Promise<PubAck> {
    const subject = this.subjectOf(record.tenant, record.type);
    if (!record.traceparent) return this.js.publish(subject, record.cloudEvent, { msgID: record.id });
    return this.publishTraced(subject, record.cloudEvent, record.id, record.traceparent);
  }

  /** Subjects repeat for every event of a type; parsing the type once per tenant and type is enough. */
  private readonly subjects = new Map<string, string>();
  private subjectOf(tenant: string, type: string): string {
    const key = `${tenant} ${type}`;
    let subject = this.subjects.get(key);
    if (subject === undefined) {
      subject = eventSubject(this.names, tenant, type);
      if (this.subjects.size > 10_000) this.subjects.clear();
      this.subjects.set(key, subject);
    }
    return subject;
  }

  /**
   * The publish runs in a producer span that continues the writer's trace; the span's own traceparent goes
   * in the header so that consumers hang their spans under the relay's (producer → relay → consumer). The
   * CloudEvent keeps the writer's traceparent as logged.
   */
  private publishTraced(subject: string, payload: string, eventId: string, writerTraceparent: string): Promise<PubAck> {
    const span = tracer.startSpan(
      `${subject} publish`,
      {
        kind: SpanKind.PRODUCER,
        attributes: { 'messaging.system': 'nats', 'messaging.operation.type': 'send', 'messaging.destination.name': subject, 'messaging.message.id': eventId },
      },
      contextFromTraceparent(writerTraceparent),
    );
    const traceHeaders = headers();
    const traceparent = traceparentOfSpan(span);
    if (traceparent) traceHeaders.set('traceparent', traceparent);
    return this.js.publish(subject, payload, { msgID: eventId, headers: traceHeaders }).then(
      (ack) => {
        span.end();
        return ack;
      },
      (error: Error) => {
        span.recordException(error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
        span.end();
        throw error;
      },
    );
  }
}
