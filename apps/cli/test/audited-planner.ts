import type { BusNames } from '@rollgate/contracts';
import { connectTestNats, createTestDatabase, deleteTestStreams, serviceBusEnv, testBusNames, type TestDatabase } from '@rollgate/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as KitModule from '@rollgate/service-kit';

/** Dynamic modules as far as this helper needs them (the planner's files are reached by path, see below). */
interface DynamicModuleLike {
  module: unknown;
  imports?: unknown[];
}
interface ModuleFactory {
  forRoot(env: NodeJS.ProcessEnv): DynamicModuleLike;
}

/**
 * The planner's compiled tree is loaded the way its own specs do it (built-workspace.ts: Nest is ESM-only,
 * Jest cannot load it, Node's require can). Reached by path: apps meet only through contracts in app code,
 * and this helper composes two modules of one app, the planner, for the CLI's specs.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { loadBuilt } = require(join(__dirname, '../../rollout-planner/test/built-workspace')) as { loadBuilt<T>(sourcePath: string): T };

export const ADMIN_PASSWORD = 'correct-horse-battery-staple';

export interface AuditedPlanner {
  url: string;
  db: TestDatabase;
  names: BusNames;
  /** a user in any tenant, made through the identity service (how a second tenant's user is made) */
  createUser(tenant: string, username: string, password: string, permissions: string[]): Promise<void>;
  /** an HTTP call with Basic `tenant\user:password` */
  request(method: string, path: string, auth: { tenant: string; user: string; password: string } | undefined, body?: unknown): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

interface IdentityServiceLike {
  createUser(context: { tenant: string; actor: string }, username: string, password: string, permissions: string[]): Promise<unknown>;
}

/**
 * rollout-planner as the integrator will compose it (AppModule plus the AuditModule), from the compiled tree,
 * on a fresh database and bus names, with `acme\admin` bootstrapped. Until AppModule registers the
 * AuditModule itself, the audit module is added here as a sibling import.
 */
export async function startAuditedPlanner(extraEnv: NodeJS.ProcessEnv = {}, options: { withArtifacts?: boolean } = {}): Promise<AuditedPlanner> {
  const kit = loadBuilt<typeof KitModule>('libs/service-kit/src/index.ts');
  const { AppModule } = loadBuilt<{ AppModule: ModuleFactory }>('apps/rollout-planner/src/app.module.ts');
  const { AuditModule } = loadBuilt<{ AuditModule: ModuleFactory }>('apps/rollout-planner/src/audit/audit.module.ts');
  const { IdentityService } = loadBuilt<{ IdentityService: unknown }>('apps/rollout-planner/src/identity/identity.service.ts');
  const { ROLLOUT_PLANNER_DEFAULTS } = loadBuilt<{ ROLLOUT_PLANNER_DEFAULTS: Parameters<typeof KitModule.createService>[0]['defaults'] }>('apps/rollout-planner/src/config.ts');
  const db = await createTestDatabase('rg_cli_api');
  const names = testBusNames();
  // One log for both services, as in production: the distributor's artifact-stored lands next to the planner's events.
  const artifacts = options.withArtifacts ? await startDistributor(kit, db, names) : undefined;
  const env: NodeJS.ProcessEnv = {
    DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'fatal', ...serviceBusEnv(names),
    ROLLGATE_BOOTSTRAP_TENANT: 'acme', ROLLGATE_BOOTSTRAP_ADMIN_USER: 'admin', ROLLGATE_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    // A server key of the test's own, never the checkout's .data/audit-signing-key.pem.
    ROLLGATE_AUDIT_SIGNING_KEY_FILE: join(mkdtempSync(join(tmpdir(), 'rg-audit-')), 'audit-signing-key.pem'),
    ...(artifacts ? { ROLLGATE_ARTIFACTS_URL: artifacts.url, ROLLGATE_ARTIFACTS_UPLOAD_TOKEN: UPLOAD_TOKEN } : {}), ...extraEnv,
  };
  const app = AppModule.forRoot(env);
  const audited = AuditModule.forRoot(env);
  const alreadyThere = (app.imports ?? []).some((m) => m === AuditModule || (m as { module?: unknown }).module === AuditModule);
  const module = alreadyThere ? app : { ...app, imports: [...(app.imports ?? []), audited] };
  const service = await kit.createService({ defaults: ROLLOUT_PLANNER_DEFAULTS, module: module as Parameters<typeof kit.createService>[0]['module'], env });
  const identity = service.app.get(IdentityService as never) as IdentityServiceLike;
  return {
    url: service.url, db, names,
    async createUser(tenant, username, password, permissions) {
      await identity.createUser({ tenant, actor: 'test' }, username, password, permissions);
    },
    async request(method, path, auth, body) {
      const headers: Record<string, string> = {};
      if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.tenant}\\${auth.user}:${auth.password}`).toString('base64')}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${service.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
    },
    async close() {
      await service.close();
      await artifacts?.close();
      const nc = await connectTestNats();
      await deleteTestStreams(nc, names);
      await nc.close();
      await db.drop();
    },
  };
}

const UPLOAD_TOKEN = 'cli-spec-upload-token-0123456789';

/** artifact-distributor on the planner's database and bus names, with a directory of its own, for uploads to stream to. */
async function startDistributor(kit: typeof KitModule, db: TestDatabase, names: BusNames): Promise<{ url: string; close(): Promise<void> }> {
  const { AppModule } = loadBuilt<{ AppModule: { forRoot(config: unknown): DynamicModuleLike } }>('apps/artifact-distributor/src/app.module.ts');
  const { ARTIFACT_DISTRIBUTOR_DEFAULTS, loadArtifactsConfig } = loadBuilt<{
    ARTIFACT_DISTRIBUTOR_DEFAULTS: Parameters<typeof KitModule.createService>[0]['defaults'];
    loadArtifactsConfig(env: NodeJS.ProcessEnv): unknown;
  }>('apps/artifact-distributor/src/config.ts');
  const dir = mkdtempSync(join(tmpdir(), 'rg-cli-artifacts-'));
  const env = { DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'fatal', ...serviceBusEnv(names), ARTIFACTS_DIR: dir, ARTIFACTS_MAX_BYTES: String(16 * 1024 * 1024), ARTIFACTS_UPLOAD_TOKEN: UPLOAD_TOKEN };
  const module = AppModule.forRoot(loadArtifactsConfig(env)) as Parameters<typeof kit.createService>[0]['module'];
  const service = await kit.createService({ defaults: ARTIFACT_DISTRIBUTOR_DEFAULTS, module, env });
  return {
    url: service.url,
    async close() {
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
