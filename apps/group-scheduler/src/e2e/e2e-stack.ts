import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { createRequire as CreateRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Pool } from 'pg';
import type { BusNames } from '@rollgate/contracts';
import { connectTestNats, createTestDatabase, deleteTestStreams, serviceBusEnv, testBusNames, testPool, type TestDatabase } from '@rollgate/testing';

/**
 * Rollgate's five services in this process, loaded from a private copy of the compiled tree: apps meet only
 * through HTTP and the log, so these specs import no other app's code, and other engineers rebuild dist/ in
 * place while a spec runs (a service loading half-written files fails), hence the copy. NestJS ships as ES
 * modules only, which Jest's loader cannot load; Node's own require can (require(esm)), as in production.
 */
const WORKSPACE_ROOT = resolve(__dirname, '../../../..');

export const TENANT = 'acme';
export const ADMIN = { user: 'admin', password: 'scheduler-e2e-admin-password-1' };
const basic = `Basic ${Buffer.from(`${TENANT}\\${ADMIN.user}:${ADMIN.password}`).toString('base64')}`;

interface Service {
  url: string;
  close(): Promise<void>;
}
interface Kit {
  createService(options: { defaults: unknown; module: unknown; env: NodeJS.ProcessEnv; migrations?: unknown[] }): Promise<Service>;
}
interface AppModuleClass {
  forRoot(env: unknown): unknown;
}

export interface ApiAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export interface E2eStack {
  db: TestDatabase;
  pool: Pool;
  names: BusNames;
  plannerUrl: string;
  gatewayUrl: string;
  /** a compiled module of the snapshot, e.g. the device simulator's library */
  load<T>(sourcePath: string): T;
  rest<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>>;
  close(): Promise<void>;
}

export interface StackOptions {
  prefix: string;
  withHealthEvaluator: boolean;
  /** extra environment for every service (e.g. the health-evaluator's evaluation interval) */
  env?: NodeJS.ProcessEnv;
}

export async function startE2eStack(options: StackOptions): Promise<E2eStack> {
  const snapshot = snapshotDist(options.withHealthEvaluator);
  const require = nodeRequire();
  const load = <T>(sourcePath: string): T => require(join(snapshot, 'dist', sourcePath.replace(/\.ts$/, '.js'))) as T;
  const db = await createTestDatabase(options.prefix);
  const names = testBusNames();
  const artifactsDir = mkdtempSync(join(tmpdir(), `${options.prefix}-artifacts-`));
  const secret = () => `${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const uploadToken = secret();
  const linkSecret = `${secret()}${secret()}`;
  const common: NodeJS.ProcessEnv = { DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'fatal', ...serviceBusEnv(names), ...options.env };
  const kit = load<Kit>('libs/service-kit/src/index.ts');
  const services: Service[] = [];
  const pool = testPool(db.url, 4);
  const stack: E2eStack = {
    db, pool, names, plannerUrl: '', gatewayUrl: '', load,
    async rest<T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
      const headers: Record<string, string> = body === undefined ? { authorization: basic } : { authorization: basic, 'content-type': 'application/json' };
      const response = await fetch(`${stack.plannerUrl}/rest/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
    },
    async close() {
      for (const service of services.reverse()) await service.close().catch(() => undefined);
      await pool.end();
      const nc = await connectTestNats();
      await deleteTestStreams(nc, names);
      await nc.close();
      await db.drop();
      rmSync(artifactsDir, { recursive: true, force: true });
      rmSync(snapshot, { recursive: true, force: true });
    },
  };
  try {
    const distributorConfig = load<{ ARTIFACT_DISTRIBUTOR_DEFAULTS: unknown; loadArtifactsConfig(env: NodeJS.ProcessEnv): unknown }>('apps/artifact-distributor/src/config.ts');
    const distributorEnv = { ...common, ARTIFACTS_DIR: artifactsDir, ARTIFACTS_UPLOAD_TOKEN: uploadToken, ARTIFACTS_LINK_SECRET: linkSecret };
    const distributor = await kit.createService({
      defaults: distributorConfig.ARTIFACT_DISTRIBUTOR_DEFAULTS,
      module: load<{ AppModule: AppModuleClass }>('apps/artifact-distributor/src/app.module.ts').AppModule.forRoot(distributorConfig.loadArtifactsConfig(distributorEnv)),
      env: distributorEnv,
    });
    services.push(distributor);
    const plannerEnv = {
      ...common, ROLLGATE_ARTIFACTS_URL: distributor.url, ROLLGATE_ARTIFACTS_UPLOAD_TOKEN: uploadToken,
      ROLLGATE_BOOTSTRAP_TENANT: TENANT, ROLLGATE_BOOTSTRAP_ADMIN_USER: ADMIN.user, ROLLGATE_BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    };
    const planner = await kit.createService({
      defaults: load<{ ROLLOUT_PLANNER_DEFAULTS: unknown }>('apps/rollout-planner/src/config.ts').ROLLOUT_PLANNER_DEFAULTS,
      module: load<{ AppModule: AppModuleClass }>('apps/rollout-planner/src/app.module.ts').AppModule.forRoot(plannerEnv),
      env: plannerEnv,
    });
    services.push(planner);
    stack.plannerUrl = planner.url.replace(/\/$/, '');
    services.push(await kit.createService({
      defaults: load<{ GROUP_SCHEDULER_DEFAULTS: unknown }>('apps/group-scheduler/src/config.ts').GROUP_SCHEDULER_DEFAULTS,
      module: load<{ AppModule: AppModuleClass }>('apps/group-scheduler/src/app.module.ts').AppModule.forRoot(common),
      migrations: load<{ SCHEDULER_MIGRATIONS: unknown[] }>('apps/group-scheduler/src/migrations/scheduler.migrations.ts').SCHEDULER_MIGRATIONS,
      env: common,
    }));
    const gatewayEnv = { ...common, ARTIFACTS_LINK_SECRET: linkSecret, ARTIFACTS_PUBLIC_URL: distributor.url.replace(/\/$/, '') };
    const gatewayApp = load<{ AppModule: AppModuleClass; DEVICE_GATEWAY_MIGRATIONS: unknown[] }>('apps/device-gateway/src/app.module.ts');
    const gateway = await kit.createService({
      defaults: load<{ DEVICE_GATEWAY_DEFAULTS: unknown }>('apps/device-gateway/src/config.ts').DEVICE_GATEWAY_DEFAULTS,
      module: gatewayApp.AppModule.forRoot(gatewayEnv),
      migrations: gatewayApp.DEVICE_GATEWAY_MIGRATIONS,
      env: gatewayEnv,
    });
    services.push(gateway);
    stack.gatewayUrl = gateway.url.replace(/\/$/, '');
    if (options.withHealthEvaluator) {
      services.push(await kit.createService({
        defaults: load<{ HEALTH_EVALUATOR_DEFAULTS: unknown }>('apps/health-evaluator/src/config.ts').HEALTH_EVALUATOR_DEFAULTS,
        module: load<{ AppModule: AppModuleClass }>('apps/health-evaluator/src/app.module.ts').AppModule.forRoot(common),
        env: common,
      }));
    }
  } catch (error) {
    await stack.close();
    throw error;
  }
  return stack;
}

const SERVICES = ['rollout-planner', 'artifact-distributor', 'device-gateway', 'group-scheduler', 'health-evaluator', 'device-simulator'];

/** dist/ (built by Jest's global setup) copied under tmp/ (ignored; node_modules resolve as for dist/). */
function snapshotDist(withHealthEvaluator: boolean): string {
  mkdirSync(join(WORKSPACE_ROOT, 'tmp'), { recursive: true });
  const root = mkdtempSync(join(WORKSPACE_ROOT, 'tmp', 'scheduler-e2e-dist-'));
  const modules = SERVICES.filter((s) => withHealthEvaluator || s !== 'health-evaluator').map((name) =>
    join(root, 'dist/apps', name, name === 'device-simulator' ? 'src/index.js' : 'src/app.module.js'),
  );
  for (let attempt = 1; ; attempt++) {
    cpSync(join(WORKSPACE_ROOT, 'dist'), join(root, 'dist'), { recursive: true });
    try {
      // A copy taken while someone rebuilds is caught by loading every module graph, and taken again.
      execFileSync(process.execPath, ['-e', `for (const m of ${JSON.stringify(modules)}) require(m);`], { cwd: WORKSPACE_ROOT, stdio: 'pipe', timeout: 60_000 });
      return root;
    } catch (error) {
      if (attempt >= 5) throw new Error(`the built services do not load: ${(error as { stderr?: Buffer }).stderr?.toString('utf8') ?? String(error)}`);
      rmSync(join(root, 'dist'), { recursive: true, force: true });
      execFileSync('sleep', ['2']);
    }
  }
}

/** Node's own require, reached past Jest's module registry (which replaces `module.createRequire`). */
function nodeRequire(): NodeJS.Require {
  const getBuiltinModule = (process as unknown as { getBuiltinModule(id: 'node:module'): { createRequire: typeof CreateRequire } }).getBuiltinModule;
  return getBuiltinModule('node:module').createRequire(join(WORKSPACE_ROOT, 'package.json'));
}

/** A software module with one artifact and a distribution set of it, through the Management API. */
export async function publishBuild(stack: E2eStack, name: string, version: string): Promise<string> {
  const module = await stack.rest<Array<{ id: string | number }>>('POST', '/softwaremodules', [{ name, version, type: 'os' }]);
  if (module.status !== 201) throw new Error(`software module ${version}: ${module.status} ${JSON.stringify(module.body)}`);
  const form = new FormData();
  form.append('file', new Blob([Buffer.alloc(64 * 1024, version)]), `${name}-${version}.swu`);
  const upload = await fetch(`${stack.plannerUrl}/rest/v1/softwaremodules/${module.body[0].id}/artifacts`, { method: 'POST', body: form, headers: { authorization: basic } });
  if (upload.status !== 201) throw new Error(`artifact ${version}: ${upload.status} ${await upload.text()}`);
  const set = await stack.rest<Array<{ id: string | number }>>('POST', '/distributionsets', [{ name, version, type: 'os', modules: [{ id: module.body[0].id }] }]);
  if (set.status !== 201) throw new Error(`distribution set ${version}: ${set.status} ${JSON.stringify(set.body)}`);
  return String(set.body[0].id);
}

/** Creates a rollout, waits until it is planned, starts it; returns its id. */
export async function createAndStart(stack: E2eStack, body: Record<string, unknown>, waitMs = 120_000): Promise<string> {
  const created = await stack.rest('POST', '/rollouts', body);
  if (created.status !== 201) throw new Error(`rollout ${String(body.name)}: ${created.status} ${JSON.stringify(created.body)}`);
  const id = String(created.body.id);
  await waitForRollout(stack, id, ['ready'], waitMs);
  const started = await stack.rest('POST', `/rollouts/${id}/start`);
  if (started.status !== 200) throw new Error(`start ${id}: ${started.status} ${JSON.stringify(started.body)}`);
  return id;
}

/** Waits until the rollout's status (Management API) is one of `statuses`; returns the rollout. */
export async function waitForRollout(stack: E2eStack, id: string, statuses: string[], timeoutMs: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last: ApiAnswer | undefined;
  for (;;) {
    last = await stack.rest('GET', `/rollouts/${id}`);
    if (last.status === 200 && statuses.includes(String(last.body.status))) return last.body;
    if (Date.now() > deadline) throw new Error(`rollout ${id} did not become ${statuses.join('|')} within ${timeoutMs} ms: ${last.status} ${JSON.stringify(last.body)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

export interface LoggedEvent {
  streamId: string;
  /** the short type, e.g. `rollout-paused` (the log stores `io.rollgate.<aggregate>.<type>.v<n>`) */
  type: string;
  data: Record<string, unknown>;
}

const shortType = (type: string) => /^io\.rollgate\.[a-z-]+\.(.+)\.v\d+$/.exec(type)?.[1] ?? type;

/** Events of the given streams, in log order (what the services wrote). */
export async function eventsOf(stack: E2eStack, streamIds: readonly string[]): Promise<LoggedEvent[]> {
  const { rows } = await stack.pool.query<{ stream_id: string; type: string; data: Record<string, unknown> }>(
    `SELECT stream_id, type, data FROM events WHERE tenant = $1 AND stream_id = ANY($2::text[]) ORDER BY transaction_id, position`,
    [TENANT, streamIds],
  );
  return rows.map((r) => ({ streamId: r.stream_id, type: shortType(r.type), data: r.data }));
}

export interface DeployGroup {
  id: string;
  name: string;
  status: string;
  totalTargets: number;
}

/** The rollout's groups through the Management API, in plan order (group-1, group-2, ...). */
export async function groupsOf(stack: E2eStack, rolloutId: string): Promise<DeployGroup[]> {
  const page = await stack.rest<{ content: Array<DeployGroup & { id: string | number }> }>('GET', `/rollouts/${rolloutId}/deploygroups?limit=100`);
  if (page.status !== 200) throw new Error(`groups of ${rolloutId}: ${page.status} ${JSON.stringify(page.body)}`);
  const order = (name: string) => Number(/(\d+)$/.exec(name)?.[1] ?? 0);
  return page.body.content.map((g) => ({ ...g, id: String(g.id) })).sort((a, b) => order(a.name) - order(b.name) || a.name.localeCompare(b.name));
}

/** The controllerIds of a group's members through the Management API (paged). */
export async function membersOf(stack: E2eStack, rolloutId: string, groupId: string): Promise<string[]> {
  const members: string[] = [];
  for (let offset = 0; ; offset += 500) {
    const page = await stack.rest<{ content: Array<{ controllerId: string }>; total: number }>('GET', `/rollouts/${rolloutId}/deploygroups/${groupId}/targets?limit=500&offset=${offset}`);
    if (page.status !== 200) throw new Error(`members of ${groupId}: ${page.status} ${JSON.stringify(page.body)}`);
    members.push(...page.body.content.map((m) => m.controllerId));
    if (page.body.content.length === 0 || members.length >= page.body.total) return members.sort();
  }
}

/** The distribution set a target has installed, per the Management API (undefined: none). */
export async function installedSetOf(stack: E2eStack, controllerId: string): Promise<string | undefined> {
  const answer = await stack.rest<{ id?: string | number }>('GET', `/targets/${controllerId}/installedDS`);
  return answer.status === 200 && answer.body?.id !== undefined ? String(answer.body.id) : undefined;
}

/** Polls `probe` until it returns true (or a value) or the time is up; the last failure message is thrown. */
export async function until(what: string, probe: () => Promise<boolean | string>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await probe();
    if (answer === true) return;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms: ${answer === false ? 'not yet' : answer}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
