import { eventType, type BusNames } from '@rollgate/contracts';
import { EVENT_STORE_MIGRATIONS, EventStore, isAfter, runMigrations, type Checkpoint } from '@rollgate/event-store';
import { connectTestNats, createTestDatabase, deleteTestStreams, eventually, serviceBusEnv, testBusNames, testPool, type TestDatabase } from '@rollgate/testing';
import type * as KitModule from '@rollgate/service-kit';
import type { Pool } from 'pg';
import type * as AppModuleFile from '../src/app.module';
import type * as ConfigFile from '../src/config';
import type * as FollowerFile from '../src/memory/log-follower.service';
import { loadBuilt } from './built-workspace';

type Kit = typeof KitModule;

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: unknown;
}

export interface Gateway {
  url: string;
  close(): Promise<void>;
  /** resolves once the gateway's memory has applied everything now in the log */
  synced(): Promise<void>;
  request(method: string, path: string, options?: { auth?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<HttpAnswer>;
}

/** One device-gateway in this process (the compiled tree) on the given database and bus names. */
export async function startGateway(db: TestDatabase, names: BusNames, store: EventStore, extraEnv: NodeJS.ProcessEnv = {}): Promise<Gateway> {
  const kit = loadBuilt<Kit>('libs/service-kit/src/index.ts');
  const { AppModule, DEVICE_GATEWAY_MIGRATIONS } = loadBuilt<typeof AppModuleFile>('apps/device-gateway/src/app.module.ts');
  const { DEVICE_GATEWAY_DEFAULTS } = loadBuilt<typeof ConfigFile>('apps/device-gateway/src/config.ts');
  const { LogFollower } = loadBuilt<typeof FollowerFile>('apps/device-gateway/src/memory/log-follower.service.ts');
  const env: NodeJS.ProcessEnv = { DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'fatal', ...serviceBusEnv(names), ...extraEnv };
  const service = await kit.createService({ defaults: DEVICE_GATEWAY_DEFAULTS, module: AppModule.forRoot(env), migrations: DEVICE_GATEWAY_MIGRATIONS, env });
  const follower = service.app.get(LogFollower);
  return {
    url: service.url,
    close: () => service.close(),
    async synced() {
      const head = await store.head();
      if (!head) return;
      await eventually(async () => !isAfter(head, follower.position as Checkpoint), 30_000, 10);
    },
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (options.auth) headers.authorization = options.auth;
      let body: string | undefined;
      if (options.rawBody !== undefined) body = options.rawBody;
      else if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
      const response = await fetch(`${service.url}${path}`, { method, headers, body, redirect: 'manual' });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, headers: response.headers, body: parsed };
    },
  };
}

/** A fresh database and bus names, a pool and an event store on them, and a way to append as other services do. */
export async function gatewayWorld(): Promise<World> {
  const db = await createTestDatabase('rg_gateway');
  // The log must exist before the fixtures are appended, i.e. before any service has started and migrated.
  await runMigrations(db.url, EVENT_STORE_MIGRATIONS);
  const names = testBusNames();
  const pool = testPool(db.url);
  const store = new EventStore(pool);
  return new World(db, names, pool, store);
}

export class World {
  constructor(
    readonly db: TestDatabase,
    readonly names: BusNames,
    readonly pool: Pool,
    readonly store: EventStore,
  ) {}

  /** Appends events as the planner, the scheduler or the distributor would (short names, e.g. `target-created`). */
  async append(tenant: string, streamId: string, aggregate: string, events: Array<[string, object]>): Promise<void> {
    const version = await this.store.streamVersion(tenant, streamId);
    await this.store.append(tenant, streamId, version, events.map(([name, data]) => ({ type: eventType(aggregate, name), data, metadata: { source: 'rollgate/test' } })));
  }

  /** The events of one stream as short names with their data. */
  async stream(tenant: string, streamId: string): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
    return (await this.store.readStream(tenant, streamId)).map((e) => ({ type: e.type.split('.')[3], data: e.data as Record<string, unknown> }));
  }

  async close(): Promise<void> {
    await this.pool.end();
    const nc = await connectTestNats();
    await deleteTestStreams(nc, this.names);
    await nc.close();
    await this.db.drop();
  }
}

const AT = 1_764_000_000_000;

/** Tenant configuration as the planner's system configs endpoint appends it. */
export async function configure(world: World, tenant: string, values: Record<string, string | number | boolean>): Promise<void> {
  await world.append(tenant, `tenantconfig-${tenant}`, 'tenantconfig', Object.entries(values).map(([key, value]) => ['config-value-set', { key, value, by: 'admin', at: AT }]));
}

export async function createTarget(world: World, tenant: string, controllerId: string, securityToken: string): Promise<void> {
  await world.append(tenant, `target-${controllerId}`, 'target', [
    ['target-created', { controllerId, name: controllerId, description: '', address: null, securityToken, by: 'admin', at: AT }],
  ]);
}

export interface ArtifactFixture {
  sha256: string;
  sha1: string;
  md5: string;
  size: number;
  fileName: string;
  architecture?: string;
}

/** A software module with one artifact (as the distributor and the planner record them) in a distribution set. */
export async function createDistributionSet(world: World, tenant: string, id: string, artifact: ArtifactFixture): Promise<{ moduleId: string; distributionSetId: string }> {
  const moduleId = `sm-${id}`;
  const distributionSetId = `ds-${id}`;
  const { fileName, ...stored } = artifact;
  await world.append(tenant, `artifact-${artifact.sha256}`, 'artifact', [['artifact-stored', { ...stored, fileName }]]);
  await world.append(tenant, `softwaremodule-${moduleId}`, 'softwaremodule', [
    ['software-module-created', { moduleId, name: `firmware-${id}`, version: '1.0.0', type: 'os', description: '', vendor: 'acme', by: 'admin', at: AT }],
    ['software-module-artifact-added', { artifactId: `${moduleId}-a1`, fileName, sha256: artifact.sha256, sha1: artifact.sha1, md5: artifact.md5, size: artifact.size, by: 'admin', at: AT }],
  ]);
  await world.append(tenant, `distributionset-${distributionSetId}`, 'distributionset', [
    ['distribution-set-created', { distributionSetId, name: `os-${id}`, version: '1.0.0', type: 'os', description: '', requiredMigrationStep: false, modules: [{ id: moduleId, type: 'os' }], by: 'admin', at: AT }],
  ]);
  return { moduleId, distributionSetId };
}

/**
 * A rollout of one group, created by the planner (membership chunk, ready with its first action id) and
 * started by the scheduler (`group-started`, optionally with only the first `released` members).
 */
export async function startRollout(world: World, tenant: string, rolloutId: string, distributionSetId: string, members: string[], firstActionId: number, options: { released?: number; maxAttempts?: number } = {}): Promise<string> {
  const groupId = `${rolloutId}-g0`;
  await world.append(tenant, `rollout-${rolloutId}`, 'rollout', [
    ['rollout-created', {
      rolloutId, name: rolloutId, description: '', targetFilterQuery: 'id==*', distributionSetId, plan: { hash: 'h', seed: 's', groups: [{ groupId, name: 'g0', size: members.length }] },
      actionType: 'forced', weight: 500, execution: { strategy: 'groups', soakMs: [], maxAttempts: options.maxAttempts ?? 1, offlinePolicy: 'skip_and_queue' },
      approvalPolicy: { enabled: false, quorum: 1, creatorMayApprove: false }, approvalRequired: false, createdBy: 'admin', at: AT,
    }],
  ]);
  await world.append(tenant, `rolloutgroup-${groupId}`, 'rollout', [
    ['group-created', { groupId, rolloutId, index: 0, name: 'g0', conditions: {}, at: AT }],
    ['group-members-added', { chunk: 0, targetIds: members, at: AT }],
    ['group-ready', { size: members.length, firstActionId, at: AT }],
    ['group-scheduled', { at: AT }],
    ['group-started', { size: members.length, ...(options.released !== undefined ? { released: options.released } : {}), at: AT }],
  ]);
  return groupId;
}

export const targetToken = (token: string): string => `TargetToken ${token}`;
export const gatewayToken = (token: string): string => `GatewayToken ${token}`;
