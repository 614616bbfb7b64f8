import { trace } from '@opentelemetry/api';
import { activeTraceIds, currentTraceparent, inSpan, shutdownTelemetry, startTelemetry } from './telemetry';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

describe('telemetry without an exporter', () => {
  beforeAll(() => startTelemetry('observability-spec', {}));
  afterAll(() => shutdownTelemetry());

  it('continues a remote trace: spans get real ids under the given parent', async () => {
    const inside = await inSpan('spec', 'work', { traceparent: PARENT }, async (span) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { traceparent: currentTraceparent(), ids: activeTraceIds(), recording: span.isRecording() };
    });
    const [, traceId, spanId, flags] = (inside.traceparent ?? '').split('-');
    expect(traceId).toBe(TRACE_ID);
    expect(spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(spanId).not.toBe('00f067aa0ba902b7');
    expect(flags).toBe('01');
    expect(inside.ids).toEqual({ trace_id: TRACE_ID, span_id: spanId });
    expect(inside.recording).toBe(true);
  });

  it('starts a new trace when there is no parent, and has none outside a span', async () => {
    const traceparent = await inSpan('spec', 'root', {}, async () => currentTraceparent());
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(traceparent?.split('-')[1]).not.toBe('0'.repeat(32));
    expect(trace.getActiveSpan()).toBeUndefined();
    expect(activeTraceIds()).toEqual({});
  });

  it('rethrows what the work throws, unchanged', async () => {
    const failure = new Error('boom');
    await expect(inSpan('spec', 'failing', {}, async () => Promise.reject(failure))).rejects.toBe(failure);
  });
});
