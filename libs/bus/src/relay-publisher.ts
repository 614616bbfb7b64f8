import { headers, type MsgHdrs, type NatsConnection } from '@nats-io/nats-core';
import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { eventSubject, type BusNames } from '@rollgate/contracts';
import type { RelayRecord } from '@rollgate/event-store';
import { InfrastructureError } from '@rollgate/shared-domain';
import { JetStreamBatchPublisher, type OutgoingMessage, type PublishOutcome } from './jetstream-batch-publisher';
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
  private readonly publisher: JetStreamBatchPublisher;

  constructor(
    nc: NatsConnection,
    private readonly names: BusNames,
  ) {
    this.publisher = new JetStreamBatchPublisher(nc);
  }

  /**
   * Resolves when JetStream has stored every event of the batch; rejects, once every publish is answered,
   * with the first failure. A rejected batch is safe to publish again: `Nats-Msg-Id` = event id.
   */
  async publish(batch: RelayRecord[]): Promise<PublishedBatch> {
    const spans = new Map<number, Span>();
    const messages: OutgoingMessage[] = batch.map((record, index) => {
      const subject = this.subjectOf(record.tenant, record.type);
      if (!record.traceparent) return { subject, payload: record.cloudEvent, msgId: record.id };
      const { span, hdrs } = this.producerSpan(subject, record.id, record.traceparent);
      spans.set(index, span);
      return { subject, payload: record.cloudEvent, msgId: record.id, headers: hdrs };
    });
    const outcomes = await this.publisher.publishBatch(messages);
    for (const [index, span] of spans) endSpan(span, outcomes[index]);
    let duplicates = 0;
    for (const outcome of outcomes) {
      if (outcome instanceof Error) throw outcome;
      if (outcome.stream !== this.names.eventsStream) {
        throw new InfrastructureError('bus_misconfigured', `subject is captured by stream ${outcome.stream}, not ${this.names.eventsStream}`, undefined);
      }
      if (outcome.duplicate) duplicates += 1;
    }
    return { stored: batch.length - duplicates, duplicates };
  }

  close(): Promise<void> {
    return this.publisher.close();
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
   * CloudEvent keeps the writer's traceparent as logged. With no SDK registered the span is a no-op, and
   * the writer's traceparent is forwarded as it is.
   */
  private producerSpan(subject: string, eventId: string, writerTraceparent: string): { span: Span; hdrs: MsgHdrs } {
    const span = tracer.startSpan(
      `${subject} publish`,
      {
        kind: SpanKind.PRODUCER,
        attributes: { 'messaging.system': 'nats', 'messaging.operation.type': 'send', 'messaging.destination.name': subject, 'messaging.message.id': eventId },
      },
      contextFromTraceparent(writerTraceparent),
    );
    const hdrs = headers();
    hdrs.set('traceparent', traceparentOfSpan(span) ?? writerTraceparent);
    return { span, hdrs };
  }
}

function endSpan(span: Span, outcome: PublishOutcome | undefined): void {
  if (outcome instanceof Error) {
    span.recordException(outcome);
    span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.message });
  }
  span.end();
}
