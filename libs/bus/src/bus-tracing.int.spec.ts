import type { NatsConnection } from '@nats-io/nats-core';
import { SpanKind, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Pool } from 'pg';
import { EventStore } from '@rollgate/event-store';
import { connectTestNats, createTestDatabase, deleteTestStreams, eventually, testBusNames, type TestDatabase, testPool } from '@rollgate/testing';
import { migrateBusDatabase, readEventsStream, SILENT_LOGGER, THING_HAPPENED } from '../test/bus-test-kit';
import { ConsumerHost } from './consumer-host';
import { EventRelay } from './event-relay';
import { provisionStreams } from './stream-provisioning';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const WRITER_SPAN_ID = '00f067aa0ba902b7';

/** With an SDK registered, one trace runs from the writer through the relay's publish to the handler. */
describe('trace context on the bus', () => {
  const names = testBusNames();
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let db: TestDatabase;
  let pool: Pool;
  let nc: NatsConnection;

  beforeAll(async () => {
    trace.setGlobalTracerProvider(provider);
    db = await createTestDatabase('rg_bus_trace');
    await migrateBusDatabase(db.url);
    pool = testPool(db.url, 8);
    nc = await connectTestNats();
    await provisionStreams(nc, names);
  }, 30_000);

  afterAll(async () => {
    trace.disable();
    await provider.shutdown();
    await deleteTestStreams(nc, names);
    await nc.close();
    await pool.end();
    await db.drop();
  });

  it('parents the relay span on the writer and the handler span on the relay', async () => {
    await new EventStore(pool).append('acme', 'traced', 0, [
      { type: THING_HAPPENED, data: {}, metadata: { source: 'rollgate/test', traceparent: `00-${TRACE_ID}-${WRITER_SPAN_ID}-01` } },
    ]);
    const relay = new EventRelay({ pool, nc, names, logger: SILENT_LOGGER });
    const handled: string[] = [];
    const host = new ConsumerHost({
      pool,
      nc,
      names,
      durableName: 'traced',
      handlerFor: () => async (event) => {
        handled.push(event.traceparent ?? 'none');
      },
      logger: SILENT_LOGGER,
    });
    await relay.start();
    await host.start();
    try {
      await eventually(async () => handled.length === 1, 20_000);
    } finally {
      await host.stop();
      await relay.stop();
    }

    // The event itself keeps the writer's context as logged; the header carries the relay's.
    expect(handled).toEqual([`00-${TRACE_ID}-${WRITER_SPAN_ID}-01`]);
    const spans = exporter.getFinishedSpans();
    const publish = spans.find((s) => s.kind === SpanKind.PRODUCER)!;
    const process = spans.find((s) => s.kind === SpanKind.CONSUMER)!;
    expect(publish.spanContext().traceId).toBe(TRACE_ID);
    expect(publish.parentSpanContext?.spanId).toBe(WRITER_SPAN_ID);
    expect(process.spanContext().traceId).toBe(TRACE_ID);
    expect(process.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
    expect(process.name).toBe(`traced process ${THING_HAPPENED}`);
    const [message] = await readEventsStream(nc, names);
    expect(message.traceparent).toBe(`00-${TRACE_ID}-${publish.spanContext().spanId}-01`);
  }, 30_000);
});
