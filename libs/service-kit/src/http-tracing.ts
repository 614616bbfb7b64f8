import { context, isSpanContextValid, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { contextFromTraceparent } from '@rollgate/observability';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';

const tracer = () => trace.getTracer('rollgate.http');

/** The request's span, on the raw Node request, for the request log line written after the span's context is gone. */
const SPAN = Symbol('rollgate.http-span');
type TracedRequest = IncomingMessage & { [SPAN]?: Span };

export function traceIdsOfRequest(raw: IncomingMessage): { trace_id?: string; span_id?: string } {
  const span = (raw as TracedRequest)[SPAN];
  if (!span || !isSpanContextValid(span.spanContext())) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/**
 * One SERVER span per HTTP request, continuing the caller's `traceparent`, active while the request is
 * handled: an event appended by a handler stores this span's traceparent, so the trace runs on through
 * the relay into every consumer. Written by hand because no auto-instrumentation package is installed.
 */
export function installHttpTracing(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const traceparent = request.headers.traceparent;
    const parent = contextFromTraceparent(typeof traceparent === 'string' ? traceparent : undefined);
    const span = tracer().startSpan(
      `${request.method} ${request.routeOptions.url ?? 'unmatched'}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'url.path': request.url.split('?')[0] } },
      parent,
    );
    (request.raw as TracedRequest)[SPAN] = span;
    // The rest of the request's lifecycle runs in this context (AsyncLocalStorage follows from here).
    context.with(trace.setSpan(parent, span), done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const span = (request.raw as TracedRequest)[SPAN];
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
}
