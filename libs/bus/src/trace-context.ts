import { defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, trace, type Context, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/**
 * W3C trace context is read and written with the propagator itself, not through the global propagation API:
 * the global one is a no-op until an SDK registers a propagator, and the `traceparent` must travel with the
 * event (producer → relay → consumers) whether or not this process exports spans.
 */
const w3c = new W3CTraceContextPropagator();

/** The remote parent context a `traceparent` names (ROOT_CONTEXT when absent or invalid). */
export function contextFromTraceparent(traceparent: string | undefined): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return w3c.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter);
}

/**
 * The `traceparent` of a span. With no SDK registered the API's spans are non-recording copies of their
 * parent, so this gives back the parent's traceparent unchanged: the context is forwarded, not lost.
 */
export function traceparentOfSpan(span: Span): string | undefined {
  const carrier: Record<string, string> = {};
  w3c.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter);
  return carrier.traceparent;
}
