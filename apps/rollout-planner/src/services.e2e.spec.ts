import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { connectTestNats, createTestDatabase, deleteTestStreams, eventually, NATS_URL, testBusNames, type TestDatabase, serviceBusEnv } from '@rollgate/testing';
import type { BusNames } from '@rollgate/contracts';
import { buildWorkspace, WORKSPACE_ROOT } from '../test/built-workspace';

/*
 * All five services as the processes they run as in production (`node dist/apps/<name>/src/main.js`),
 * against one fresh database and bus names of their own, checked over HTTP only.
 */
const SERVICES = ['rollout-planner', 'group-scheduler', 'health-evaluator', 'artifact-distributor', 'device-gateway'] as const;
const GRACE_MS = 8_000;

jest.setTimeout(180_000);

interface ServiceProcess {
  name: string;
  port: number;
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; afterMs: number }>;
}

/** A port nothing listens on right now (the OS picks it). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function startService(name: string, port: number, env: NodeJS.ProcessEnv): ServiceProcess {
  const child = spawn(process.execPath, [join(WORKSPACE_ROOT, 'dist/apps', name, 'src/main.js')], {
    cwd: WORKSPACE_ROOT,
    env: { PATH: process.env.PATH, PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  let signalledAt = 0;
  const kill = child.kill.bind(child);
  child.kill = (signal?: NodeJS.Signals | number) => {
    signalledAt = Date.now();
    return kill(signal);
  };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; afterMs: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, afterMs: Date.now() - signalledAt })),
  );
  return { name, port, child, output: () => output, exited };
}

async function httpGet(port: number, path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.json() };
}

describe('the five services as processes', () => {
  let db: TestDatabase;
  let names: BusNames;
  let env: NodeJS.ProcessEnv;
  const running: ServiceProcess[] = [];

  beforeAll(async () => {
    buildWorkspace();
    db = await createTestDatabase('rg_e2e');
    names = testBusNames();
    env = {
      DATABASE_URL: db.url,
      NATS_URL,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
      ...serviceBusEnv(names),
    };
  });

  afterAll(async () => {
    for (const service of running) if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
    await Promise.all(running.map((service) => service.exited));
    const nc = await connectTestNats();
    await deleteTestStreams(nc, names);
    await nc.close();
    await db.drop();
  });

  it('start, report ready over HTTP, and stop cleanly on SIGTERM', async () => {
    for (const name of SERVICES) running.push(startService(name, await freePort(), env));

    await Promise.all(
      running.map((service) =>
        eventually(async () => (await httpGet(service.port, '/readyz')).status === 200, 120_000, 250).catch((error: unknown) => {
          throw new Error(`${service.name} never became ready: ${String(error)}\n${service.output()}`);
        }),
      ),
    );
    for (const service of running) {
      expect(await httpGet(service.port, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
      expect(await httpGet(service.port, '/readyz')).toMatchObject({ status: 200, body: { status: 'ready' } });
      expect(service.output()).toContain(`${service.name} listening on http://127.0.0.1:${service.port}`);
    }

    for (const service of running) service.child.kill('SIGTERM');
    const exits = await Promise.all(running.map((service) => service.exited));
    exits.forEach((exit, i) => {
      expect({ service: running[i].name, code: exit.code, signal: exit.signal }).toEqual({ service: running[i].name, code: 0, signal: null });
      expect(exit.afterMs).toBeLessThan(GRACE_MS);
    });
  });

  it('refuses to start with an invalid DATABASE_URL and says why', async () => {
    const service = startService('rollout-planner', await freePort(), { ...env, DATABASE_URL: 'not-a-url' });
    running.push(service);
    const exit = await service.exited;
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(service.output()).toContain('rollout-planner: invalid configuration, not starting');
    expect(service.output()).toContain('DATABASE_URL is "not-a-url", must be a postgres:// or postgresql:// URL');
  });
});
