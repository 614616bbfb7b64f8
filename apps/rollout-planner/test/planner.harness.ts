import { createTestDatabase, connectTestNats, deleteTestStreams, testBusNames, type TestDatabase, serviceBusEnv } from '@rollgate/testing';
import type { BusNames } from '@rollgate/contracts';
import type * as KitModule from '@rollgate/service-kit';
import type * as AppModuleFile from '../src/app.module';
import type * as ConfigFile from '../src/config';
import type * as IdentityServiceFile from '../src/identity/identity.service';
import { loadBuilt } from './built-workspace';

type Kit = typeof KitModule;

export const ADMIN_PASSWORD = 'correct-horse-battery-staple';

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: unknown;
}

export interface Planner {
  url: string;
  service: Awaited<ReturnType<Kit['createService']>>;
  /** creates a user directly through the identity service, in any tenant (how a second tenant's admin is made) */
  createUser(tenant: string, username: string, password: string, permissions: string[]): Promise<void>;
  request(method: string, path: string, options?: { auth?: string; body?: unknown; rawBody?: string; contentType?: string }): Promise<HttpAnswer>;
  /** stops the service; drops the database and streams unless they were handed in */
  close(): Promise<void>;
}

export const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/**
 * rollout-planner in this process (the compiled tree, see built-workspace) on a fresh database and bus names
 * of its own, with `acme\admin` bootstrapped from the environment.
 */
export async function startPlanner(extraEnv: NodeJS.ProcessEnv = {}, existing?: { db: TestDatabase; names: BusNames }): Promise<Planner & { db: TestDatabase; names: BusNames }> {
  const kit = loadBuilt<Kit>('libs/service-kit/src/index.ts');
  const { AppModule } = loadBuilt<typeof AppModuleFile>('apps/rollout-planner/src/app.module.ts');
  const { ROLLOUT_PLANNER_DEFAULTS } = loadBuilt<typeof ConfigFile>('apps/rollout-planner/src/config.ts');
  const { IdentityService } = loadBuilt<typeof IdentityServiceFile>('apps/rollout-planner/src/identity/identity.service.ts');
  const db: TestDatabase = existing?.db ?? (await createTestDatabase('rg_planner'));
  const names: BusNames = existing?.names ?? testBusNames();
  const env: NodeJS.ProcessEnv = {
    DATABASE_URL: db.url,
    PORT: '0',
    LOG_LEVEL: 'fatal',
    ...serviceBusEnv(names),
    ROLLGATE_BOOTSTRAP_TENANT: 'acme',
    ROLLGATE_BOOTSTRAP_ADMIN_USER: 'admin',
    ROLLGATE_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    ...extraEnv,
  };
  const service = await kit.createService({ defaults: ROLLOUT_PLANNER_DEFAULTS, module: AppModule.forRoot(env), env });
  const identity = service.app.get(IdentityService);
  return {
    url: service.url,
    service,
    db,
    names,
    async createUser(tenant, username, password, permissions) {
      await identity.createUser({ tenant, actor: 'test' }, username, password, permissions);
    },
    async request(method, path, options = {}) {
      const headers: Record<string, string> = {};
      if (options.auth) headers.authorization = options.auth;
      let body: string | undefined;
      if (options.rawBody !== undefined) body = options.rawBody;
      else if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
      const response = await fetch(`${service.url}${path}`, { method, headers, body });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: text.length > 0 ? (JSON.parse(text) as unknown) : undefined };
    },
    async close() {
      await service.close();
      // A planner started on someone else's database leaves it (and the streams) to them.
      if (existing) return;
      const nc = await connectTestNats();
      await deleteTestStreams(nc, names);
      await nc.close();
      await db.drop();
    },
  };
}
