import { context, defaultTextMapGetter, defaultTextMapSetter, isSpanContextValid, trace, type Context, type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';

let sdk: NodeSDK | undefined;

/**
 * Trace context is read and written with the W3C propagator itself rather than the global propagation API,
 * which is a no-op until an SDK registers: the traceparent in events and headers must be carried on even
 * in a process (a test, a CLI) that never started telemetry.
 */
const w3c = new W3CTraceContextPropagator();

/**
 * Starts OpenTelemetry tracing for one service process. Call it before anything else creates spans.
 *
 * - With `OTEL_EXPORTER_OTLP_ENDPOINT` set, spans are exported over OTLP; the SDK reads protocol, headers
 *   and batching from the standard `OTEL_*` variables, so no exporter package is imported here.
 * - Without it, nothing is exported, but a real tracer provider still runs: spans get real trace and span
 *   ids, so the `traceparent` written into events and forwarded by HTTP is meaningful and a trace can still
 *   be stitched together from logs (each log line carries its trace id).
 *
 * Metrics and OTel logs stay off: logs go to stdout through pino, and the env defaults of the SDK would
 * otherwise try to push both to an OTLP endpoint that does not exist. No auto-instrumentation is loaded;
 * the spans that matter (HTTP requests, event handling) are opened explicitly.
 */
export function startTelemetry(serviceName: string, env: NodeJS.ProcessEnv = process.env): void {
  if (sdk) return;
  const exporting = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  sdk = new NodeSDK({
    serviceName,
    autoDetectResources: false,
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
    textMapPropagator: new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
    // Undefined lets the SDK build its OTLP exporter from the env; a no-op processor keeps the provider real.
    spanProcessors: exporting ? undefined : [new NoopSpanProcessor()],
  });
  sdk.start();
}

/**
 * Flushes pending spans and unregisters the SDK; safe to call when telemetry never started. Never rejects:
 * telemetry is best effort, and a collector that is down must not turn a clean stop into a failed one.
 */
export async function shutdownTelemetry(): Promise<void> {
  const running = sdk;
  sdk = undefined;
  await running?.shutdown().catch(() => undefined);
}

/** The W3C `traceparent` of the active span, for writers to store with the events they append. */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  w3c.inject(context.active(), carrier, defaultTextMapSetter);
  return carrier.traceparent;
}

/** The context a remote `traceparent` (from an HTTP header or an event) describes. */
export function contextFromTraceparent(traceparent: string | undefined, parent: Context = context.active()): Context {
  return traceparent ? w3c.extract(parent, { traceparent }, defaultTextMapGetter) : parent;
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Record<string, string | number | boolean>;
  /** remote parent: the traceparent of the event or request that caused this work */
  traceparent?: string;
}

/**
 * Runs `work` inside a new active span and ends it with the outcome. Errors are recorded and rethrown
 * unchanged, so callers keep their own error handling (a consumer host still naks on them).
 */
export async function inSpan<T>(tracerName: string, name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  const parent = contextFromTraceparent(options.traceparent);
  const span = trace.getTracer(tracerName).startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}

/** Trace and span id of the active span for log correlation; empty outside any span. */
export function activeTraceIds(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (!span || !isSpanContextValid(span.spanContext())) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
