import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BusNames } from '@rollgate/contracts';
import { connectTestNats, createTestDatabase, deleteTestStreams, NATS_URL, serviceBusEnv, testBusNames, type TestDatabase } from '@rollgate/testing';

const WORKSPACE_ROOT = resolve(__dirname, '../../../..');

/** The services a device update needs: the Management API, the artifact store, the device side, and rollouts. */
export const STACK_SERVICES = ['rollout-planner', 'artifact-distributor', 'device-gateway', 'group-scheduler'] as const;
export type StackService = (typeof STACK_SERVICES)[number];

export const TENANT = 'acme';
export const ADMIN = { user: 'admin', password: 'suricatta-e2e-admin-password' };

/** Service-to-service secrets of this run; random per run, never logged. */
function runSecrets(): Record<string, string> {
  const random = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  return { upload: random(), download: random(), link: `${random()}${random()}` };
}

interface ServiceProcess {
  name: StackService;
  url: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<void>;
}

export interface RollgateStack {
  db: TestDatabase;
  names: BusNames;
  url(service: StackService): string;
  /** a service's log so far (for failure messages) */
  output(service: StackService): string;
  close(): Promise<void>;
}

/**
 * rollout-planner, artifact-distributor, device-gateway and group-scheduler as the processes they run as in production
 * (`node dist/apps/<name>/src/main.js`, built by Jest's global setup), on one fresh database and bus names
 * of their own, with real PostgreSQL and NATS. Child processes rather than in-process Nest apps: suricatta
 * is a separate program talking HTTP, and the services meet each other only through the log and HTTP too.
 */
export async function startRollgateStack(): Promise<RollgateStack> {
  const built = snapshotBuiltServices();
  const db = await createTestDatabase('rg_suricatta');
  const names = testBusNames();
  const artifactsDir = mkdtempSync(join(tmpdir(), 'rg-suricatta-artifacts-'));
  const secrets = runSecrets();
  const ports = Object.fromEntries(await Promise.all(STACK_SERVICES.map(async (name) => [name, await freePort()] as const))) as Record<StackService, number>;
  const urlOf = (service: StackService) => `http://127.0.0.1:${ports[service]}`;
  const env: NodeJS.ProcessEnv = {
    DATABASE_URL: db.url,
    NATS_URL,
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.SURICATTA_E2E_LOG_LEVEL ?? 'warn',
    ...serviceBusEnv(names),
    ROLLGATE_BOOTSTRAP_TENANT: TENANT,
    ROLLGATE_BOOTSTRAP_ADMIN_USER: ADMIN.user,
    ROLLGATE_BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    ARTIFACTS_DIR: artifactsDir,
    ARTIFACTS_UPLOAD_TOKEN: secrets.upload,
    ARTIFACTS_DOWNLOAD_TOKEN: secrets.download,
    ARTIFACTS_LINK_SECRET: secrets.link,
    ARTIFACTS_PUBLIC_URL: urlOf('artifact-distributor'),
    // The planner passes Management API uploads on to the distributor with the distributor's upload token;
    // the gateway signs download links with the shared link secret for ARTIFACTS_PUBLIC_URL.
    ROLLGATE_ARTIFACTS_URL: urlOf('artifact-distributor'),
    ROLLGATE_ARTIFACTS_UPLOAD_TOKEN: secrets.upload,
  };
  const running = STACK_SERVICES.map((name) => startService(built, name, urlOf(name), { ...env, PORT: String(ports[name]) }));
  const stack: RollgateStack = {
    db,
    names,
    url: urlOf,
    output: (service) => running.find((s) => s.name === service)?.output() ?? '',
    async close() {
      for (const service of running) if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(running.map((s) => s.exited)), new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
      clearTimeout(timer);
      for (const service of running) if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
      await Promise.all(running.map((s) => s.exited));
      const nc = await connectTestNats();
      await deleteTestStreams(nc, names);
      await nc.close();
      await db.drop();
      rmSync(artifactsDir, { recursive: true, force: true });
      rmSync(built, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(running.map((service) => waitUntilReady(service)));
  } catch (error) {
    await stack.close();
    throw error;
  }
  return stack;
}

/**
 * A private copy of dist/ (built by Jest's global setup) for this suite's services. Several engineers share
 * this checkout and every test run rebuilds dist/ in place; a service starting while a build rewrites its
 * files fails to load. The copy lives under tmp/ (ignored) so that node_modules resolve as for dist/, and a
 * copy taken mid-build is caught by loading each service's module graph and taken again.
 */
function snapshotBuiltServices(): string {
  mkdirSync(join(WORKSPACE_ROOT, 'tmp'), { recursive: true });
  const root = mkdtempSync(join(WORKSPACE_ROOT, 'tmp', 'suricatta-dist-'));
  const modules = STACK_SERVICES.map((name) => join(root, 'dist/apps', name, 'src/app.module.js'));
  for (let attempt = 1; ; attempt++) {
    cpSync(join(WORKSPACE_ROOT, 'dist'), join(root, 'dist'), { recursive: true });
    try {
      execFileSync(process.execPath, ['-e', `for (const m of ${JSON.stringify(modules)}) require(m);`], { cwd: WORKSPACE_ROOT, stdio: 'pipe', timeout: 60_000 });
      return root;
    } catch (error) {
      if (attempt >= 5) throw new Error(`the built services do not load: ${(error as { stderr?: Buffer }).stderr?.toString('utf8') ?? String(error)}`);
      rmSync(join(root, 'dist'), { recursive: true, force: true });
      execFileSync('sleep', ['2']);
    }
  }
}

function startService(built: string, name: StackService, url: string, env: NodeJS.ProcessEnv): ServiceProcess {
  const child = spawn(process.execPath, [join(built, 'dist/apps', name, 'src/main.js')], {
    cwd: WORKSPACE_ROOT,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { name, url, child, output: () => output, exited };
}

async function waitUntilReady(service: ServiceProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  for (;;) {
    // A service that exited will never be ready: say so at once, with its log.
    if (service.child.exitCode !== null || service.child.signalCode !== null) {
      throw new Error(`${service.name} exited (code ${service.child.exitCode}, signal ${service.child.signalCode}) before it was ready:\n${service.output()}`);
    }
    try {
      const response = await fetch(`${service.url}/readyz`);
      if (response.status === 200) return;
      lastProblem = `/readyz answered ${response.status}: ${await response.text()}`;
    } catch (error) {
      lastProblem = String(error);
    }
    if (Date.now() > deadline) throw new Error(`${service.name} never became ready within ${timeoutMs} ms (${lastProblem}):\n${service.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A port nothing listens on right now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
