import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { telemetrySubject, type BusNames, type TelemetrySample } from '@rollgate/contracts';
import { EventStore, type StoredEvent } from '@rollgate/event-store';
import { connectTestNats, createTestDatabase, deleteTestStreams, serviceBusEnv, testBusNames, testPool, type TestDatabase } from '@rollgate/testing';
import type { Pool } from 'pg';
import type * as KitModule from '@rollgate/service-kit';
import type * as AppModuleFile from '../src/app.module';
import type * as ConfigFile from '../src/config';
import type * as IntakeFile from '../src/telemetry/telemetry-intake.service';
import type * as EvaluationFile from '../src/evaluation/health-evaluation.service';
import type * as FleetFile from '../src/fleet/fleet-follower.service';
import { loadBuilt } from './built-workspace';

type Kit = typeof KitModule;

export interface Evaluator {
  service: Awaited<ReturnType<Kit['createService']>>;
  db: TestDatabase;
  names: BusNames;
  pool: Pool;
  store: EventStore;
  nc: NatsConnection;
  /** telemetry messages the intake has taken in (valid or not) */
  /** the evaluator's use cases, e.g. to replay a request as a redelivery would */
  evaluation: InstanceType<(typeof EvaluationFile)['HealthEvaluation']>;
  /** the fleet registry the evaluator folds from the log (to wait until it has caught up) */
  registry: InstanceType<(typeof FleetFile)['FleetFollower']>['registry'];
  received(): number;
  malformed(): Record<string, number>;
  publish(samples: readonly TelemetrySample[]): Promise<void>;
  publishRaw(subject: string, payload: string): Promise<void>;
  /** appends as another service would (planner, scheduler, gateway) */
  append(tenant: string, streamId: string, type: string, data: unknown): Promise<StoredEvent>;
  healthEvents(tenant: string, rolloutId: string): Promise<StoredEvent[]>;
  close(): Promise<void>;
}

/**
 * health-evaluator in this process (the compiled tree, see built-workspace) on a fresh database and bus
 * names of its own, plus a test-side pool, event store and NATS connection to feed it like the other
 * services would. Also what the integrator's e2e with the device simulator boots.
 */
export async function startEvaluator(extraEnv: NodeJS.ProcessEnv = {}, existing?: { db: TestDatabase; names: BusNames }): Promise<Evaluator> {
  const kit = loadBuilt<Kit>('libs/service-kit/src/index.ts');
  const { AppModule } = loadBuilt<typeof AppModuleFile>('apps/health-evaluator/src/app.module.ts');
  const { HEALTH_EVALUATOR_DEFAULTS } = loadBuilt<typeof ConfigFile>('apps/health-evaluator/src/config.ts');
  const { TelemetryIntakeService } = loadBuilt<typeof IntakeFile>('apps/health-evaluator/src/telemetry/telemetry-intake.service.ts');
  // An e2e runs the evaluator beside the other services on their database and bus names.
  const db = existing?.db ?? (await createTestDatabase('rg_health'));
  const names = existing?.names ?? testBusNames();
  const env: NodeJS.ProcessEnv = { DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'fatal', ...serviceBusEnv(names), ...extraEnv };
  const service = await kit.createService({ defaults: HEALTH_EVALUATOR_DEFAULTS, module: AppModule.forRoot(env), env });
  const intake = service.app.get(TelemetryIntakeService).intake;
  const { HealthEvaluation } = loadBuilt<typeof EvaluationFile>('apps/health-evaluator/src/evaluation/health-evaluation.service.ts');
  const evaluation = service.app.get(HealthEvaluation);
  const { FleetFollower } = loadBuilt<typeof FleetFile>('apps/health-evaluator/src/fleet/fleet-follower.service.ts');
  const registry = service.app.get(FleetFollower).registry;
  const pool = testPool(db.url, 3);
  const store = new EventStore(pool);
  const nc = await connectTestNats();
  const js = jetstream(nc);
  return {
    service,
    db,
    names,
    pool,
    store,
    nc,
    evaluation,
    registry,
    received: () => intake.received,
    malformed: () => ({ ...intake.malformed }),
    async publish(samples) {
      await Promise.all(samples.map((s) => js.publish(telemetrySubject(names, s.tenant, s.controllerId), JSON.stringify(s))));
    },
    async publishRaw(subject, payload) {
      await js.publish(subject, payload);
    },
    async append(tenant, streamId, type, data) {
      await store.append(tenant, streamId, 'any', [{ type, data }]);
      const events = await store.readStream(tenant, streamId);
      return events[events.length - 1];
    },
    healthEvents: (tenant, rolloutId) => store.readStream(tenant, `health-${rolloutId}`),
    async close() {
      await service.close();
      await nc.drain().catch(() => undefined);
      await pool.end();
      // Started on someone else's database and streams: leave them to their owner.
      if (existing) return;
      const admin = await connectTestNats();
      await deleteTestStreams(admin, names);
      await admin.close();
      await db.drop();
    },
  };
}
