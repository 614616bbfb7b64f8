import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { PoolClient } from 'pg';
import { decodeCloudEvent, type CloudEvent } from '@rollgate/contracts';
import { ValidationError } from '@rollgate/shared-domain';
import { contextFromTraceparent } from './trace-context';

const tracer = trace.getTracer('rollgate-consumer');

export interface HandlerContext {
  /** the transaction the host commits, with the processed-event record, before it acks */
  tx: PoolClient;
  event: CloudEvent;
  /** 1 on the first delivery */
  deliveryCount: number;
  consumer: string;
}

export type EventHandler = (event: CloudEvent, ctx: HandlerContext) => Promise<void>;

export type ApplyOutcome = 'applied' | 'duplicate';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * decodeCloudEvent, plus what idempotency needs: the id is the key of `processed_events`, a uuid (the relay
 * only publishes log events, whose ids are UUIDv7). Anything else cannot be handled exactly once.
 */
export function decodeBusEvent(bytes: Uint8Array): CloudEvent {
  const event = decodeCloudEvent(bytes);
  if (!UUID.test(event.id)) throw new ValidationError(`event id "${event.id}" is not a uuid`, [{ path: '/id', message: 'must be a uuid' }], 'malformed_event');
  return event;
}

/**
 * Runs the handler at most once per (consumer, event id), in the caller's transaction: the processed record
 * is inserted first, so a second delivery of the same event (a redelivery after a lost ack, a republish by a
 * restarted relay) finds it and skips the handler, and both commit or roll back together.
 */
export async function applyOnce(tx: PoolClient, ctx: Omit<HandlerContext, 'tx'>, handler: EventHandler, parentTraceparent?: string): Promise<ApplyOutcome> {
  const { rowCount } = await tx.query(
    'INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    [ctx.consumer, ctx.event.id],
  );
  if (rowCount === 0) return 'duplicate';
  await inHandlerSpan(ctx, parentTraceparent ?? ctx.event.traceparent, () => handler(ctx.event, { ...ctx, tx }));
  return 'applied';
}

/**
 * The handler runs in a consumer span whose parent is the trace context the event travelled with, and that
 * span is active while it runs, so whatever the handler appends carries the same trace on.
 */
async function inHandlerSpan(ctx: Omit<HandlerContext, 'tx'>, traceparent: string | undefined, work: () => Promise<void>): Promise<void> {
  const parent = contextFromTraceparent(traceparent);
  const span = tracer.startSpan(
    `${ctx.consumer} process ${ctx.event.type}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'nats',
        'messaging.operation.type': 'process',
        'messaging.consumer.group.name': ctx.consumer,
        'messaging.message.id': ctx.event.id,
        'messaging.message.delivery_count': ctx.deliveryCount,
        'cloudevents.event_type': ctx.event.type,
      },
    },
    parent,
  );
  try {
    await context.with(trace.setSpan(parent, span), work);
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

