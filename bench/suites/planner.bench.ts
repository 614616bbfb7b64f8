import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'pg';
import type { BusNames } from '@rollgate/contracts';
import { EventStore, type AppendRequest } from '@rollgate/event-store';
import { connectTestNats, createTestDatabase, deleteTestStreams, serviceBusEnv, testBusNames, type TestDatabase } from '@rollgate/testing';
import type { BenchReport, BenchSuite } from '../harness';

/**
 * rollout-planner as a service (the compiled main.js in a child process) on the real PostgreSQL and NATS:
 *
 *   create_100k_ms / create_1m_ms   POST /rest/v1/rollouts over 100,000 and 1,000,000 targets (hawkBit split,
 *                                   amountGroups 10): from the request to the rollout READY in the read model
 *                                   (the POST answers 201 at once or, past 5 s, CREATING with progress; the
 *                                   bench then polls GET every 50 ms)
 *   create_1m_peak_rss_mb           the planner's peak resident set (VmHWM) during the million-target creation,
 *                                   reset just before it (clear_refs), on a planner restarted after seeding
 *   raw_select_1m_ms                reference: the bare SELECT of the million candidate ids from the targets
 *                                   read model, the least any creation has to do
 *
 * Targets are seeded as real `target-created` events through the event store's bulk append (COPY), and the
 * planner's own targets projection turns them into read-model rows before anything is timed.
 *
 * While iterating: BENCH_PLANNER_LARGE=0 leaves the million-target part out, BENCH_PLANNER_REPEAT=<n> times the
 * small creation n times (each on a freshly started planner, as the first; the metric is their median), and
 * BENCH_PLANNER_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) starts the planner with those node flags.
 * Each creation prints when the 201 came, and the CPU the planner and the database's backends spent on it.
 */
const TENANT = 'bench';
const SMALL = Number(process.env.BENCH_PLANNER_SMALL ?? 100_000);
const LARGE = Number(process.env.BENCH_PLANNER_LARGE ?? 1_000_000);
const REPEAT = Math.max(1, Number(process.env.BENCH_PLANNER_REPEAT ?? 1));
const SEED_BATCH = 20_000;
const ADMIN = { user: 'admin', password: 'bench-admin-password-1' };
const WORKSPACE = join(__dirname, '..', '..', '..');

export const suite: BenchSuite = {
  name: 'planner',
  description: `rollout creation (HTTP 201 until READY) over ${SMALL.toLocaleString('en-US')} and ${LARGE.toLocaleString('en-US')} targets, peak RSS`,
  async run(report: BenchReport) {
    const db = await createTestDatabase('rg_bench_planner');
    const names = testBusNames();
    const pool = new Pool({ connectionString: db.url, max: 4 });
    let planner: Service | undefined;
    try {
      planner = await startPlanner(db, names);
      const setId = await planner.distributionSet();
      await seedTargets(pool, 'a', SMALL);
      await waitForTargets(pool, SMALL);
      await planner.stop();

      // BENCH_PLANNER_PG_LOG=<ms>: PostgreSQL logs the statements of the timed planners that take at least that long.
      if (process.env.BENCH_PLANNER_PG_LOG) await pool.query(`ALTER DATABASE "${new URL(db.url).pathname.slice(1)}" SET log_min_duration_statement = ${Number(process.env.BENCH_PLANNER_PG_LOG)}`);
      const smalls: number[] = [];
      for (let run = 0; run < REPEAT; run++) {
        planner = await startPlanner(db, names);
        smalls.push(await planner.timeCreation(run === 0 ? 'bench-100k' : `bench-100k-${run}`, 'name==a-*', setId, pool));
        await planner.stop();
      }
      if (REPEAT > 1) console.log(`create_100k_ms runs: ${smalls.map(Math.round).join(', ')}`);
      report.metric('create_100k_ms', median(smalls), 'ms', { goal: '<= 1,000 ms' });
      if (LARGE <= SMALL) return;

      await seedTargets(pool, 'b', LARGE - SMALL);
      planner = await startPlanner(db, names);
      await waitForTargets(pool, LARGE);
      const raw = await rawSelect(pool);
      planner.resetPeakRss();
      const large = await planner.timeCreation('bench-1m', 'name==*', setId, pool);
      const rss = planner.peakRssMb();
      report.metric('raw_select_1m_ms', raw, 'ms');
      report.metric('create_1m_ms', large, 'ms', { reference: raw, goal: '<= 10,000 ms' });
      report.metric('create_1m_peak_rss_mb', rss, 'MB', { goal: '<= 1,536 MB' });
    } finally {
      await planner?.stop();
      await pool.end();
      const nc = await connectTestNats();
      await deleteTestStreams(nc, names);
      await nc.close();
      await db.drop();
    }
  },
};

/** Real `target-created` events, 20,000 streams per bulk append (the event store writes them with COPY). */
async function seedTargets(pool: Pool, prefix: string, count: number): Promise<void> {
  const store = new EventStore(pool);
  const at = Date.now();
  for (let from = 0; from < count; from += SEED_BATCH) {
    const requests: AppendRequest[] = [];
    for (let i = from; i < Math.min(count, from + SEED_BATCH); i++) {
      const controllerId = `${prefix}-${String(i).padStart(7, '0')}`;
      requests.push({
        tenant: TENANT, streamId: `target-${controllerId}`, expectedVersion: 0,
        events: [{
          type: 'io.rollgate.target.target-created.v1',
          data: { controllerId, name: controllerId, description: '', address: null, securityToken: `token-${controllerId}`, by: 'bench', at },
          metadata: { source: 'rollgate/bench', actor: 'user:bench' },
        }],
      });
    }
    await store.appendMany(requests);
  }
}

async function waitForTargets(pool: Pool, count: number): Promise<void> {
  await waitFor(async () => {
    const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM targets WHERE tenant = $1', [TENANT]);
    return rows[0].n >= count;
  }, 30 * 60_000);
  // A fleet's tables have statistics (autovacuum keeps them); right after a bulk seed they are stale, and the
  // candidate query's plan (a disk sort) would measure the seed, not the planner.
  await pool.query('VACUUM ANALYZE targets');
}

async function rawSelect(pool: Pool): Promise<number> {
  const start = performance.now();
  await pool.query('SELECT controller_id FROM targets WHERE tenant = $1 ORDER BY controller_id', [TENANT]);
  return performance.now() - start;
}

interface Service {
  distributionSet(): Promise<string>;
  timeCreation(name: string, filter: string, setId: string, pool: Pool): Promise<number>;
  resetPeakRss(): void;
  peakRssMb(): number;
  stop(): Promise<void>;
}

async function startPlanner(db: TestDatabase, names: BusNames): Promise<Service> {
  const nodeArgs = (process.env.BENCH_PLANNER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, join(WORKSPACE, 'dist/apps/rollout-planner/src/main.js')], {
    env: {
      ...process.env, DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'info', ...serviceBusEnv(names),
      ROLLGATE_BOOTSTRAP_TENANT: TENANT, ROLLGATE_BOOTSTRAP_ADMIN_USER: ADMIN.user, ROLLGATE_BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/[^\s"]+)/.exec(out);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`rollout-planner exited with ${code} before listening`)));
  });
  // BENCH_PLANNER_LOG=<file> keeps the planner's log (its creation timings, any error) for a look afterwards.
  const logFile = process.env.BENCH_PLANNER_LOG;
  if (logFile) child.stdout!.on('data', (chunk: Buffer) => appendFileSync(logFile, chunk));
  child.stdout!.resume();
  const auth = `Basic ${Buffer.from(`${TENANT}\\${ADMIN.user}:${ADMIN.password}`).toString('base64')}`;
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, { method, headers: { authorization: auth, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const text = await response.text();
    if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as unknown;
  };
  /** The rollout's status, or undefined while its read model lags behind the log (503 read_model_lagging: read again). */
  const readStatus = async (id: string): Promise<string | undefined> => {
    try {
      return ((await call('GET', `/rest/v1/rollouts/${id}`)) as { status: string }).status;
    } catch (error) {
      if ((error as Error).message.includes(' 503 ')) return undefined;
      throw error;
    }
  };
  return {
    async distributionSet() {
      const modules = (await call('POST', '/rest/v1/softwaremodules', [{ name: 'image', version: '1.0', type: 'os' }])) as Array<{ id: string }>;
      const sets = (await call('POST', '/rest/v1/distributionsets', [{ name: 'fw', version: '1.0', type: 'os', modules: [{ id: modules[0].id }] }])) as Array<{ id: string }>;
      return sets[0].id;
    },
    async timeCreation(name, filter, setId, pool) {
      const backends = await databaseBackends(pool);
      const cpuBefore = { planner: cpuSeconds(child.pid), database: cpuSecondsOf(backends) };
      const start = performance.now();
      const created = (await call('POST', '/rest/v1/rollouts', { name, distributionSetId: setId, targetFilterQuery: filter, amountGroups: 10 })) as { id: string; status: string; creationProgress?: unknown };
      const answered = performance.now() - start;
      let status = created.status;
      while (status === 'creating') {
        await new Promise((resolve) => setTimeout(resolve, 50));
        status = (await readStatus(created.id)) ?? status;
      }
      const elapsed = performance.now() - start;
      if (status !== 'ready') throw new Error(`rollout ${name} ended ${status}, not ready`);
      // CPU seconds are what a busy shared machine does not hide: wall time there is mostly waiting.
      const plannerCpu = (cpuSeconds(child.pid) ?? NaN) - (cpuBefore.planner ?? NaN);
      const databaseCpu = cpuSecondsSince(cpuBefore.database, await databaseBackends(pool));
      console.log(`${name}: 201 after ${Math.round(answered)} ms (${created.status}), ${status} after ${Math.round(elapsed)} ms; CPU: planner ${Math.round(plannerCpu * 1000)} ms, database backends ${Math.round(databaseCpu * 1000)} ms`);
      return elapsed;
    },
    resetPeakRss() {
      // "5" resets the peak RSS (VmHWM) of the process (proc(5), clear_refs).
      writeFileSync(`/proc/${child.pid}/clear_refs`, '5');
    },
    peakRssMb() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * CPU seconds a process has run, all its threads (Linux /proc schedstat: nanoseconds, where /proc/<pid>/stat
 * counts 10 ms ticks, coarse against a creation's second or so).
 */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    let nanoseconds = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        nanoseconds += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended meanwhile
      }
    }
    return nanoseconds / 1e9;
  } catch {
    return undefined;
  }
}

function cpuSecondsOf(pids: readonly number[]): Map<number, number> {
  return new Map(pids.flatMap((pid) => {
    const seconds = cpuSeconds(pid);
    return seconds === undefined ? [] : [[pid, seconds] as const];
  }));
}

/**
 * CPU seconds the processes `now` spent since `before` together: one started meanwhile (a pool's new
 * connection) counts whole, one that exited meanwhile is left out.
 */
function cpuSecondsSince(before: ReadonlyMap<number, number>, now: readonly number[]): number {
  let sum = 0;
  for (const pid of now) {
    const seconds = cpuSeconds(pid);
    if (seconds !== undefined) sum += seconds - (before.get(pid) ?? 0);
  }
  return sum;
}

/** The PostgreSQL backends connected to the bench's database (the planner's pools, this one's). */
async function databaseBackends(pool: Pool): Promise<number[]> {
  const { rows } = await pool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
  return rows.map((row) => row.pid);
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
