import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The five services, in the order they are listed; ports are the services' own defaults. */
export const SERVICES = [
  { name: 'rollout-planner', port: 8080, role: 'Management API (/rest/v1)' },
  { name: 'device-gateway', port: 8081, role: 'device protocol (hawkBit DDI)' },
  { name: 'artifact-distributor', port: 8082, role: 'artifact storage and downloads' },
  { name: 'group-scheduler', port: 8083, role: 'rollout execution' },
  { name: 'health-evaluator', port: 8084, role: 'health gates and verdicts' },
] as const;

/** The checkout's root (where nx.json is), whether this runs from dist/ or from source under Jest. */
export const REPO_ROOT = findRepoRoot(__dirname);

function findRepoRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
  }
  throw new Error(`cannot find the Rollgate checkout above ${from}`);
}

export interface RunningService {
  name: string;
  url: string;
  role: string;
  logFile: string;
  process: ChildProcess;
}

/**
 * Starts every service from dist/ with its log in <logDir>/<name>.log. Ports are the services' defaults,
 * shifted by `portBase - 8080` when another base is asked for.
 */
export function startServices(env: NodeJS.ProcessEnv, options: { host?: string; portBase?: number; logDir?: string } = {}): RunningService[] {
  const { host = '127.0.0.1', portBase = SERVICES[0].port, logDir = join(REPO_ROOT, '.data', 'logs') } = options;
  mkdirSync(logDir, { recursive: true });
  return SERVICES.map(({ name, port: defaultPort, role }) => {
    const port = defaultPort - SERVICES[0].port + portBase;
    const logFile = join(logDir, `${name}.log`);
    const log = createWriteStream(logFile, { flags: 'w' });
    const child = spawn(process.execPath, [...nodeFlagsOf(name), join(REPO_ROOT, 'dist', 'apps', name, 'src', 'main.js')], {
      env: { ...env, HOST: host, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    return { name, url: `http://${host}:${port}`, role, logFile, process: child };
  });
}

/** Resolves when every service answers 200 on /readyz; rejects naming the ones that did not. */
export async function waitUntilReady(services: RunningService[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(services);
  while (pending.size > 0) {
    for (const service of [...pending]) {
      if (service.process.exitCode !== null) {
        throw new Error(`${service.name} exited with code ${service.process.exitCode}:\n${tail(service.logFile)}`);
      }
      if (await isReady(service.url)) pending.delete(service);
    }
    if (pending.size === 0) break;
    if (Date.now() > deadline) {
      throw new Error(`not ready after ${timeoutMs} ms: ${[...pending].map((s) => `${s.name} (log: ${s.logFile})`).join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function isReady(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
    return response.status === 200;
  } catch {
    return false;
  }
}

/** SIGTERM to every service, then SIGKILL to any still running after the grace period. */
export async function stopServices(services: RunningService[], graceMs = 15_000): Promise<number[]> {
  return Promise.all(
    services.map(
      (service) =>
        new Promise<number>((resolveExit) => {
          const child = service.process;
          if (child.exitCode !== null) return resolveExit(child.exitCode);
          const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          child.once('exit', (code, signal) => {
            clearTimeout(killer);
            resolveExit(code ?? (signal ? 128 : 1));
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * The Node flags a service is started with: the `NODE_FLAGS` of its `src/node-flags.ts`, when it has one
 * (V8 reads heap sizes at start, so a process cannot set them on itself; see device-gateway's).
 */
export function nodeFlagsOf(name: string): readonly string[] {
  const file = join(REPO_ROOT, 'dist', 'apps', name, 'src', 'node-flags.js');
  if (!existsSync(file)) return [];
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a service's build, found at run time like its main.js
  const { NODE_FLAGS } = require(file) as { NODE_FLAGS?: unknown };
  return Array.isArray(NODE_FLAGS) && NODE_FLAGS.every((flag) => typeof flag === 'string' && flag.startsWith('--')) ? NODE_FLAGS : [];
}
