import type { Pool } from 'pg';
import { createTestDatabase, connectTestNats, deleteTestStreams, eventually, testBusNames, type TestDatabase, serviceBusEnv } from '@rollgate/testing';
import type { BusNames } from '@rollgate/contracts';
import type { NatsConnection } from '@nats-io/nats-core';
import type * as KitModule from '@rollgate/service-kit';
import type * as EventStoreModule from '@rollgate/event-store';
import type * as ObservabilityModule from '@rollgate/observability';
import { loadBuilt } from '../test/built-workspace';
import type * as ProbeModuleFile from '../test/probe.module';
import type * as AppModuleFile from './app.module';
import type * as ConfigFile from './config';

// Types come from the sources; the running code is the compiled tree, loaded by Node (see built-workspace).
type Kit = typeof KitModule;
type EventStoreLib = typeof EventStoreModule;
type Observability = typeof ObservabilityModule;
type Probe = typeof ProbeModuleFile;
type App = typeof AppModuleFile;
type Config = typeof ConfigFile;

const kit = loadBuilt<Kit>('libs/service-kit/src/index.ts');
const { EventStore } = loadBuilt<EventStoreLib>('libs/event-store/src/index.ts');
const observability = loadBuilt<Observability>('libs/observability/src/index.ts');
const probe = loadBuilt<Probe>('apps/rollout-planner/test/probe.module.ts');
const { AppModule } = loadBuilt<App>('apps/rollout-planner/src/app.module.ts');
const { ROLLOUT_PLANNER_DEFAULTS } = loadBuilt<Config>('apps/rollout-planner/src/config.ts');

jest.setTimeout(120_000);

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('rollout-planner in-process, against real PostgreSQL and NATS', () => {
  let db: TestDatabase;
  let names: BusNames;
  let nc: NatsConnection;
  let service: Awaited<ReturnType<Kit['createService']>>;
  let pool: Pool;

  beforeAll(async () => {
    observability.startTelemetry('rollout-planner-test');
    db = await createTestDatabase('rg_kit');
    names = testBusNames();
    nc = await connectTestNats();
    service = await kit.createService({
      defaults: ROLLOUT_PLANNER_DEFAULTS,
      module: { module: probe.ProbeModule, imports: [AppModule.forRoot({})] },
      migrations: [probe.CreateProbeTable1763799999000],
      env: {
        DATABASE_URL: db.url,
        PORT: '0',
        LOG_LEVEL: 'fatal',
        ...serviceBusEnv(names),
      },
    });
    pool = service.app.get<symbol, Pool>(kit.PG_POOL);
  });

  afterAll(async () => {
    await service?.close();
    await observability.shutdownTelemetry();
    await deleteTestStreams(nc, names);
    await nc.close();
    await db.drop();
  });

  const get = async (path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const response = await fetch(`${service.url}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const deliveries = () => service.app.get(probe.ProbeRecorder).deliveries;

  it('is alive and ready once migrations, streams and the consumer are up', async () => {
    expect(await get('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    const ready = await eventually(async () => {
      const answer = await get('/readyz');
      return answer.status === 200 ? answer : undefined;
    });
    expect(ready.body).toEqual({ status: 'ready', checks: { postgres: 'ok', nats: 'ok', migrations: 'ok', consumer: 'ok', accepting: 'ok', projections: 'ok' } });
    expect(service.transport.eventTypes.sort()).toEqual([probe.PROBE_FLAKY, probe.PROBE_PINGED]);
  });

  it('delivers an appended event to its @EventPattern handler through relay, JetStream and the consumer host', async () => {
    const store = new EventStore(pool);
    const traceparent = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
    const [appended] = await store.appendMany([
      { tenant: 'acme', streamId: 'probe-1', expectedVersion: 0, events: [{ type: probe.PROBE_PINGED, data: { n: 1 }, metadata: { source: 'rollgate/rollout-planner', traceparent } }] },
    ]);
    expect(appended.version).toBe(1);

    const delivery = await eventually(async () => deliveries().find((d) => d.event.type === probe.PROBE_PINGED));
    expect(delivery.event).toMatchObject({ type: probe.PROBE_PINGED, tenant: 'acme', streamid: 'probe-1', streamversion: 1, data: { n: 1 }, traceparent });
    expect(delivery.consumer).toBe('rollout-planner');
    expect(delivery.deliveryCount).toBe(1);
    // The handler ran in a span of the writer's trace.
    expect(delivery.traceparent?.split('-')[1]).toBe(TRACE_ID);
    // What the handler wrote through ctx.tx was committed.
    const { rows } = await eventually(async () => {
      const result = await pool.query('SELECT event_id FROM probe_received WHERE event_id = $1', [delivery.event.id]);
      return result.rowCount === 1 ? result : undefined;
    });
    expect(rows).toEqual([{ event_id: delivery.event.id }]);
  });

  it('hands a handler error to the consumer host, which redelivers the event', async () => {
    await new EventStore(pool).append('acme', 'probe-2', 0, [{ type: probe.PROBE_FLAKY, data: {} }]);
    const second = await eventually(async () => deliveries().find((d) => d.event.type === probe.PROBE_FLAKY && d.deliveryCount === 2), 60_000);
    expect(deliveries().filter((d) => d.event.id === second.event.id).map((d) => d.deliveryCount)).toEqual([1, 2]);
    const { rowCount } = await eventually(async () => {
      const result = await pool.query('SELECT 1 FROM probe_received WHERE event_id = $1', [second.event.id]);
      return result.rowCount === 1 ? result : undefined;
    });
    expect(rowCount).toBe(1);
  });

  it('maps errors to { code, message } without leaking internals', async () => {
    expect(await get('/probe/fail?kind=validation')).toEqual({
      status: 400,
      body: { code: 'validation_failed', message: 'name is required', issues: [{ path: '/name', message: 'required' }] },
    });
    expect(await get('/probe/fail?kind=boom')).toEqual({ status: 500, body: { code: 'internal_error', message: 'internal error' } });
    const missing = await get('/no-such-route');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('not_found');
  });

  it('reports unready, naming the check, once the consumer is detached', async () => {
    await service.transport.close();
    const answer = await get('/readyz');
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ status: 'not_ready', failing: ['consumer'], checks: { consumer: 'not attached', postgres: 'ok' } });
  });

  it('reports unready, naming the projection, once a read model stops (writes could no longer answer)', async () => {
    // Break one read model the way a failed migration or a manual mistake would, then give it an event.
    await pool.query('DROP TABLE target_filters');
    const store = service.app.get(EventStore);
    await store.append('acme', 'targetfilter-broken', 0, [
      { type: 'io.rollgate.targetfilter.target-filter-created.v1', data: { filterId: 'broken', name: 'f', query: 'name==x', by: 'test', at: Date.now() } },
    ]);
    const answer = await eventually(async () => {
      const result = await get('/readyz');
      return (result.body.failing as string[] | undefined)?.includes('projections') ? result : undefined;
    });
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ checks: { projections: 'stopped: target-filters', postgres: 'ok' } });
  });

  it('lets an in-flight request finish when the service closes', async () => {
    const inFlight = fetch(`${service.url}/probe/slow?ms=700`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = service.close();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ waitedMs: 700 });
    await closed;
    await expect(fetch(`${service.url}/healthz`)).rejects.toThrow();
  });
});
