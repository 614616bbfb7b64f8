import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BusNames } from '@rollgate/contracts';
import { connectTestNats, createTestDatabase, deleteTestStreams, eventually, NATS_URL, serviceBusEnv, testBusNames, type TestDatabase } from '@rollgate/testing';

const WORKSPACE_ROOT = resolve(__dirname, '../../../..');

/** The services a device update needs: the Management API, the artifact store, and the device side. */
export const STACK_SERVICES = ['rollout-planner', 'artifact-distributor', 'device-gateway'] as const;
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
 * rollout-planner, artifact-distributor and device-gateway as the processes they run as in production
 * (`node dist/apps/<name>/src/main.js`, built by Jest's global setup), on one fresh database and bus names
 * of their own, with real PostgreSQL and NATS. Child processes rather than in-process Nest apps: suricatta
 * is a separate program talking HTTP, and the services meet each other only through the log and HTTP too.
 */
export async function startRollgateStack(): Promise<RollgateStack> {
  const db = await createTestDatabase('rg_suricatta');
  const names = testBusNames();
  const artifactsDir = mkdtempSync(join(tmpdir(), 'rg-suricatta-artifacts-'));
  const secrets = runSecrets();
  const ports = { 'rollout-planner': await freePort(), 'artifact-distributor': await freePort(), 'device-gateway': await freePort() };
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
    // How the planner (uploads) and the gateway (signed download links) reach the distributor.
    ARTIFACTS_URL: urlOf('artifact-distributor'),
    ARTIFACT_DISTRIBUTOR_URL: urlOf('artifact-distributor'),
  };
  const running = STACK_SERVICES.map((name) => startService(name, urlOf(name), { ...env, PORT: String(ports[name]) }));
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

function startService(name: StackService, url: string, env: NodeJS.ProcessEnv): ServiceProcess {
  const child = spawn(process.execPath, [join(WORKSPACE_ROOT, 'dist/apps', name, 'src/main.js')], {
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

async function waitUntilReady(service: ServiceProcess): Promise<void> {
  await eventually(
    async () => {
      if (service.child.exitCode !== null) throw new Error(`exited with code ${service.child.exitCode}`);
      return (await fetch(`${service.url}/readyz`)).status === 200;
    },
    120_000,
    250,
  ).catch((error: unknown) => {
    throw new Error(`${service.name} never became ready: ${String(error)}\n${service.output()}`);
  });
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
