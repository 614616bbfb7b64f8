import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { eventType, type BusNames } from '@rollgate/contracts';
import { EVENT_STORE_MIGRATIONS, EventStore, runMigrations, type AppendRequest } from '@rollgate/event-store';
import { connectTestNats, createTestDatabase, deleteTestStreams, serviceBusEnv, testBusNames, testPool, type TestDatabase } from '@rollgate/testing';
import type { BenchReport, BenchSuite } from '../harness';

/**
 * device-gateway's hot path, in one run:
 *   polls     one gateway process with DEVICES known devices, each with an open rollout action, polled over
 *             keep-alive connections, against a bare node:http server answering a body of the same size;
 *   feedback  committed DDI feedback messages per second (each answered after its group commit).
 * The gateway and the reference each run in a child process of their own; the load comes from this one.
 */
const DEVICES = Number(process.env.BENCH_DEVICES ?? 100_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
/** A fleet has thousands of devices reporting at once; group commit batches what arrives while a commit is in flight. */
const FEEDBACK_CONNECTIONS = Number(process.env.BENCH_FEEDBACK_CONNECTIONS ?? 256);
const POLL_SECONDS = Number(process.env.BENCH_POLL_SECONDS ?? 8);
const FEEDBACK_SECONDS = Number(process.env.BENCH_FEEDBACK_SECONDS ?? 8);
const WARMUP_SECONDS = 2;
const TENANT = 'bench';
const GATEWAY_KEY = 'bench-gateway-key-0123456789';
const ROOT = join(__dirname, '..', '..', '..');

export const suite: BenchSuite = {
  name: 'gateway',
  description: `DDI polls of ${DEVICES.toLocaleString('en-US')} known devices over ${CONNECTIONS} keep-alive connections vs bare node:http; committed feedback messages/s`,
  async run(report: BenchReport) {
    const db = await createTestDatabase('rg_bench_gw');
    const names = testBusNames();
    const pool = testPool(db.url, 8);
    const children: ChildProcess[] = [];
    try {
      await runMigrations(db.url, EVENT_STORE_MIGRATIONS);
      const store = new EventStore(pool);
      const started = Date.now();
      await seedFleet(store, DEVICES);
      console.log(`seeded ${DEVICES} devices and a started rollout in ${Date.now() - started} ms`);

      const gateway = await startGateway(db, names, children);
      await waitForRelay(names, pool);
      const sample = await get(gateway, pollPath(0));
      const reference = await startReference(sample.body, children);

      const deviceAgent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
      const pollDevice = (i: number) => pollPath(i % DEVICES);
      // Alternate which goes first so that the load of a shared machine falls on both alike.
      await load(reference, () => '/', deviceAgent, WARMUP_SECONDS);
      await load(gateway, pollDevice, deviceAgent, WARMUP_SECONDS);
      const ref1 = await load(reference, () => '/', deviceAgent, POLL_SECONDS / 2);
      const cpuBefore = cpuSeconds(gateway.pid);
      const gw1 = await load(gateway, pollDevice, deviceAgent, POLL_SECONDS / 2);
      const gw2 = await load(gateway, pollDevice, deviceAgent, POLL_SECONDS / 2);
      const cpuAfter = cpuSeconds(gateway.pid);
      if (cpuBefore !== undefined && cpuAfter !== undefined) {
        report.metric('poll_cpu_us', ((cpuAfter - cpuBefore) * 1e6) / (gw1.ok + gw2.ok + gw1.errors + gw2.errors), 'µs/poll');
      }
      const ref2 = await load(reference, () => '/', deviceAgent, POLL_SECONDS / 2);
      const polls = merge(gw1, gw2);
      const bare = merge(ref1, ref2);
      if (polls.errors > 0 || bare.errors > 0) console.warn(`errors: gateway ${polls.errors}, reference ${bare.errors}`);
      report.metric('bare_http', bare.rate, 'req/s');
      report.metric('polls', polls.rate, 'polls/s', { reference: bare.rate, goal: '>= 10,000/s and >= 0.35x bare node:http' });
      report.metric('poll_p99_ms', polls.p99, 'ms', { goal: '<= 20 ms' });
      report.metric('bare_http_p99_ms', bare.p99, 'ms');

      const feedback = await loadFeedback(gateway, FEEDBACK_SECONDS, pool, () => databaseBackends(pool, db.name));
      if (feedback.errors > 0) console.warn(`feedback errors: ${feedback.errors}`);
      report.metric('feedback', feedback.rate, 'msgs/s', { goal: '>= 5,000/s committed' });
      report.metric('feedback_p99_ms', feedback.p99, 'ms');
      const perMessage = (seconds: number | undefined) => (seconds === undefined ? undefined : (seconds * 1e6) / (feedback.ok + feedback.errors));
      const cpu = (name: string, seconds: number | undefined) => {
        const us = perMessage(seconds);
        if (us !== undefined) report.metric(name, us, 'µs/msg');
      };
      cpu('feedback_cpu_us', feedback.cpuSeconds);
      // The other processes on the machine that each message costs CPU in (a 2-core machine runs them all):
      // this process as the devices' HTTP client, the PostgreSQL backends of the bench's database (the
      // server's background writers are left out) and the NATS server (machine-wide: others' load included).
      cpu('feedback_client_cpu_us', feedback.clientCpuSeconds);
      cpu('feedback_pg_cpu_us', feedback.pgCpuSeconds);
      cpu('feedback_nats_cpu_us', feedback.natsCpuSeconds);
      const committed = await pool.query(`SELECT count(*)::int AS n, count(DISTINCT transaction_id)::int AS commits FROM events WHERE type = $1`, [eventType('action', 'action-feedback-received')]);
      const { n, commits } = committed.rows[0];
      console.log(`${n} feedback events in the log, ${feedback.ok} answered posts, in ${commits} group commits (${(n / Math.max(1, commits)).toFixed(1)} per commit)`);
      if (n < feedback.ok) throw new Error(`only ${n} feedback events in the log for ${feedback.ok} answered posts`);
      deviceAgent.destroy();
    } finally {
      for (const child of children) child.kill('SIGTERM');
      await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)))));
      const nc = await connectTestNats();
      await deleteTestStreams(nc, names);
      await nc.close();
      await pool.end();
      await db.drop();
    }
  },
};

const AT = 1_764_000_000_000;
const controllerId = (i: number): string => `dev-${String(i).padStart(6, '0')}`;
const pollPath = (i: number): string => `/${TENANT}/controller/v1/${controllerId(i)}`;

/** Appends the fleet as the planner and the scheduler would: targets, a DS, one rollout whose group has started. */
async function seedFleet(store: EventStore, devices: number): Promise<void> {
  const source = { source: 'rollgate/bench' };
  const e = (aggregate: string, name: string, data: object) => ({ type: eventType(aggregate, name), data, metadata: source });
  await store.append(TENANT, `tenantconfig-${TENANT}`, 0, [
    e('tenantconfig', 'config-value-set', { key: 'authentication.targettoken.enabled', value: true, by: 'bench', at: AT }),
    e('tenantconfig', 'config-value-set', { key: 'authentication.gatewaytoken.enabled', value: true, by: 'bench', at: AT }),
    e('tenantconfig', 'config-value-set', { key: 'authentication.gatewaytoken.key', value: GATEWAY_KEY, by: 'bench', at: AT }),
  ]);
  for (let start = 0; start < devices; start += 2_000) {
    const requests: AppendRequest[] = [];
    for (let i = start; i < Math.min(devices, start + 2_000); i++) {
      const id = controllerId(i);
      requests.push({ tenant: TENANT, streamId: `target-${id}`, expectedVersion: 0, events: [e('target', 'target-created', { controllerId: id, name: id, description: '', address: null, securityToken: `token${i}`, by: 'bench', at: AT })] });
    }
    await store.appendMany(requests);
  }
  const sha256 = 'a'.repeat(64);
  await store.append(TENANT, `softwaremodule-sm1`, 0, [
    e('softwaremodule', 'software-module-created', { moduleId: 'sm1', name: 'firmware', version: '2.0.0', type: 'os', description: '', vendor: 'bench', by: 'bench', at: AT }),
    e('softwaremodule', 'software-module-artifact-added', { artifactId: 'a1', fileName: 'fw.swu', sha256, sha1: 'b'.repeat(40), md5: 'c'.repeat(32), size: 1 << 20, by: 'bench', at: AT }),
  ]);
  await store.append(TENANT, 'distributionset-ds1', 0, [
    e('distributionset', 'distribution-set-created', { distributionSetId: 'ds1', name: 'os', version: '2.0.0', type: 'os', description: '', requiredMigrationStep: false, modules: [{ id: 'sm1', type: 'os' }], by: 'bench', at: AT }),
  ]);
  await store.append(TENANT, 'rollout-r1', 0, [
    e('rollout', 'rollout-created', {
      rolloutId: 'r1', name: 'r1', description: '', targetFilterQuery: 'id==*', distributionSetId: 'ds1', plan: { hash: 'h', seed: 's', groups: [{ groupId: 'g1', name: 'all', size: devices }] },
      actionType: 'forced', weight: 1000, execution: { strategy: 'groups', soakMs: [], maxAttempts: 1, offlinePolicy: 'skip_and_queue' },
      approvalPolicy: { enabled: false, quorum: 1, creatorMayApprove: false }, approvalRequired: false, createdBy: 'bench', at: AT,
    }),
  ]);
  const chunks = [];
  for (let start = 0, chunk = 0; start < devices; start += 10_000, chunk++) {
    chunks.push(e('rollout', 'group-members-added', { chunk, targetIds: Array.from({ length: Math.min(10_000, devices - start) }, (_, k) => controllerId(start + k)), at: AT }));
  }
  await store.append(TENANT, 'rolloutgroup-g1', 0, [
    e('rollout', 'group-created', { groupId: 'g1', rolloutId: 'r1', index: 0, name: 'all', conditions: {}, at: AT }),
    ...chunks,
    e('rollout', 'group-ready', { size: devices, firstActionId: 1, at: AT }),
    e('rollout', 'group-scheduled', { at: AT }),
    e('rollout', 'group-started', { size: devices, at: AT }),
  ]);
}

interface Target {
  pid?: number;
  port: number;
  auth: (path: string) => string;
}

/** user + system CPU seconds of a process (Linux /proc), to tell CPU cost per request from waiting on a busy machine */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** A process's CPU seconds by thread name (the main thread, GC helpers, libuv's pool), threads of one name summed. */
function threadCpu(pid: number | undefined): Map<string, number> {
  const threads = new Map<string, number>();
  if (pid === undefined) return threads;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = tid === String(pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        threads.set(name, (threads.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100);
      } catch {
        // exited meanwhile
      }
    }
  } catch {
    // not Linux, or the process is gone
  }
  return threads;
}

/** CPU seconds per process, to subtract with cpuSecondsSince. */
function cpuSecondsOf(pids: number[]): Map<number, number> {
  const seconds = new Map<number, number>();
  for (const pid of pids) {
    const s = cpuSeconds(pid);
    if (s !== undefined) seconds.set(pid, s);
  }
  return seconds;
}

/** CPU seconds these processes spent since `before` together (one that exited meanwhile is left out). */
function cpuSecondsSince(before: Map<number, number>): number {
  let sum = 0;
  for (const [pid, then] of before) {
    const now = cpuSeconds(pid);
    if (now !== undefined) sum += now - then;
  }
  return sum;
}

function pidsOf(command: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === command) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** The PostgreSQL backends connected to the bench's database (the gateway's pools, the relay's, this one's). */
async function databaseBackends(pool: ReturnType<typeof testPool>, database: string): Promise<number[]> {
  const { rows } = await pool.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, [database]);
  return rows.map((row) => row.pid);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startGateway(db: TestDatabase, names: BusNames, children: ChildProcess[]): Promise<Target> {
  const port = await freePort();
  const env = { ...process.env, DATABASE_URL: db.url, PORT: String(port), LOG_LEVEL: 'warn', ...serviceBusEnv(names), DDI_LAST_SEEN_FLUSH_MS: '2000', DDI_RATE_LIMIT_PER_SECOND: '100', DDI_RATE_LIMIT_BURST: '100' };
  // BENCH_GATEWAY_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, to look inside the gateway under load;
  // after the gateway's own flags, so that a flag given here wins (`--max-semi-space-size=16`: Node's default).
  const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // The flags the gateway is deployed with, from its build as main.js itself (an app is not imported as a library).
  const { NODE_FLAGS } = (await import(join(ROOT, 'dist/apps/device-gateway/src/node-flags.js'))) as { NODE_FLAGS: readonly string[] };
  const child = spawn(process.execPath, [...NODE_FLAGS, ...nodeArgs, join(ROOT, 'dist/apps/device-gateway/src/main.js')], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  children.push(child);
  const started = Date.now();
  await waitForPort(port, child, 180_000);
  console.log(`gateway rebuilt its memory and listened after ${Date.now() - started} ms`);
  return { pid: child.pid, port, auth: (path) => `TargetToken token${Number(path.split('/')[4].slice('dev-'.length))}` };
}

/** The reference: a bare node:http server answering a body of the poll's size, keep-alive, one process. */
async function startReference(body: string, children: ChildProcess[]): Promise<Target> {
  const port = await freePort();
  const code = `require('node:http').createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(process.env.BODY) }); res.end(process.env.BODY); }).listen(${port}, '127.0.0.1');`;
  const child = spawn(process.execPath, ['-e', code], { env: { ...process.env, BODY: body }, stdio: ['ignore', 'inherit', 'inherit'] });
  children.push(child);
  await waitForPort(port, child, 10_000);
  return { port, auth: () => 'none' };
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`child exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/healthz', method: 'GET' }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.end();
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`nothing listened on ${port} within ${timeoutMs} ms`);
}

/**
 * At start the relay publishes the seeded log to JetStream and the service kit's durable consumer (every
 * service has one) reads it all back; measuring polls meanwhile would measure those two instead.
 */
async function waitForRelay(names: BusNames, pool: ReturnType<typeof testPool>): Promise<void> {
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM events`);
  const nc = await connectTestNats();
  const jsm = await jetstreamManager(nc);
  const deadline = Date.now() + 300_000;
  const settled = async (): Promise<boolean> => {
    const stream = await jsm.streams.info(names.eventsStream).catch(() => undefined);
    // The gateway handles no bus events, so the service kit runs no consumer for it; an older build's
    // durable consumer, if there is one, must have drained the backlog too.
    const consumer = await jsm.consumers.info(names.eventsStream, 'device-gateway').catch(() => undefined);
    return stream?.state.messages === rows[0].n && (consumer === undefined || (consumer.num_pending === 0 && consumer.num_ack_pending === 0));
  };
  while (Date.now() < deadline && !(await settled())) await new Promise((resolve) => setTimeout(resolve, 250));
  await nc.close();
}

function get(target: Target, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: target.port, path, method: 'GET', headers: { authorization: target.auth(path) } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

interface LoadResult {
  ok: number;
  errors: number;
  seconds: number;
  latencies: number[];
}

/** CONNECTIONS loops, each sending its next request when the previous answer arrived, for `seconds`. */
async function load(
  target: Target, pathOf: (i: number) => string, agent: Agent, seconds: number, method = 'GET', bodyOf?: (i: number) => string, connections = CONNECTIONS, count?: number,
): Promise<LoadResult & { rate: number; p99: number }> {
  const result: LoadResult = { ok: 0, errors: 0, seconds, latencies: [] };
  // Timed (for `seconds`, from a random device on) or, with `count`, exactly requests 0..count-1.
  const end = Date.now() + seconds * 1000;
  let next = count === undefined ? Math.floor(Math.random() * DEVICES) : 0;
  const more = (): boolean => (count === undefined ? Date.now() < end : next < count);
  const loop = async (): Promise<void> => {
    while (more()) {
      const i = next++;
      const path = pathOf(i);
      const body = bodyOf?.(i);
      const started = process.hrtime.bigint();
      const status = await new Promise<number>((resolve) => {
        const headers: Record<string, string> = { authorization: target.auth(path) };
        if (body !== undefined) {
          headers['content-type'] = 'application/json';
          headers['content-length'] = String(Buffer.byteLength(body));
        }
        const req = request({ host: '127.0.0.1', port: target.port, path, method, agent, headers }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', () => resolve(0));
        req.end(body);
      });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (status === 200) {
        result.ok += 1;
        result.latencies.push(ms);
      } else result.errors += 1;
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  return summarize(result);
}

function summarize(result: LoadResult): LoadResult & { rate: number; p99: number } {
  const sorted = [...result.latencies].sort((a, b) => a - b);
  return { ...result, rate: result.ok / result.seconds, p99: sorted[Math.floor(sorted.length * 0.99)] ?? 0 };
}

function merge(a: LoadResult, b: LoadResult): LoadResult & { rate: number; p99: number } {
  return summarize({ ok: a.ok + b.ok, errors: a.errors + b.errors, seconds: a.seconds + b.seconds, latencies: [...a.latencies, ...b.latencies] });
}

/**
 * Like load(), POSTing `body`, over plain keep-alive sockets with a minimal HTTP/1.1 client: node:http's
 * client cost this process about 100 µs of CPU per request, on the same two cores as the gateway,
 * PostgreSQL and NATS, a third of what the whole feedback path costs. Devices run their clients elsewhere.
 * One request per connection at a time (no pipelining), each sent when the previous answer has arrived.
 */
async function loadLean(target: Target, pathOf: (i: number) => string, seconds: number, body: string, connections: number): Promise<LoadResult & { rate: number; p99: number }> {
  const result: LoadResult = { ok: 0, errors: 0, seconds, latencies: [] };
  const started = Date.now();
  const end = started + seconds * 1000;
  let next = Math.floor(Math.random() * DEVICES);
  const loop = async (): Promise<void> => {
    let client: LeanClient | undefined;
    while (Date.now() < end) {
      const path = pathOf(next++);
      const started = process.hrtime.bigint();
      client ??= await LeanClient.connect(target.port).catch(() => undefined);
      const status = client ? await client.send(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\nAuthorization: ${target.auth(path)}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`) : 0;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (status === 200) {
        result.ok += 1;
        result.latencies.push(ms);
      } else result.errors += 1;
      if (status === 0 || client?.closed) {
        client?.close();
        client = undefined;
      }
    }
    client?.close();
  };
  await Promise.all(Array.from({ length: connections }, loop));
  // Posts sent before the end are answered after it (a group commit later): the rate is over the whole time.
  result.seconds = (Date.now() - started) / 1000;
  return summarize(result);
}

/** One keep-alive connection: a request at a time; answers are read by their Content-Length. */
class LeanClient {
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: ((status: number) => void) | undefined;
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.answer();
    });
    const fail = () => {
      this.closed = true;
      this.settle(0);
    };
    socket.on('error', fail);
    socket.on('close', fail);
  }

  static connect(port: number): Promise<LeanClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new LeanClient(socket)));
      socket.once('error', reject);
    });
  }

  send(request: string): Promise<number> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.write(request);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private answer(): void {
    const headEnd = this.buffer.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = this.buffer.toString('latin1', 0, headEnd);
    const length = /\r\ncontent-length: *([0-9]+)/i.exec(head);
    const total = headEnd + 4 + (length ? Number(length[1]) : 0);
    if (this.buffer.length < total) return;
    this.buffer = this.buffer.subarray(total);
    if (/\r\nconnection: *close/i.test(head)) this.closed = true;
    this.settle(Number(head.slice(9, 12)));
  }

  private settle(status: number): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(status);
  }
}

/** Events in the log the relay has not published yet (after its checkpoint). */
async function relayBacklog(pool: ReturnType<typeof testPool>): Promise<number> {
  const { rows } = await pool.query(
    `SELECT count(*)::int AS n FROM events WHERE (transaction_id, position) > (SELECT transaction_id, position FROM log_checkpoints WHERE name = 'relay')`,
  );
  return rows[0].n;
}

/** Devices in the middle of an update during the feedback phase. */
const UPDATING = Math.min(DEVICES, Number(process.env.BENCH_UPDATING_DEVICES ?? 20_000));

/**
 * Devices report progress on the action they are running: as every DDI client does, each first fetched its
 * deploymentBase (untimed here: that creates the action's stream), then posts progress messages, each
 * answered only after its event committed (group commit). Consecutive posts go to different devices.
 */
async function loadFeedback(
  gateway: Target,
  seconds: number,
  pool: ReturnType<typeof testPool>,
  backends: () => Promise<number[]>,
): Promise<LoadResult & { rate: number; p99: number; cpuSeconds?: number; clientCpuSeconds: number; pgCpuSeconds?: number; natsCpuSeconds?: number }> {
  const feedbackAgent = new Agent({ keepAlive: true, maxSockets: FEEDBACK_CONNECTIONS });
  try {
    const retrieved = await load(gateway, (i) => `${pollPath(i)}/deploymentBase/${i + 1}`, feedbackAgent, 0, 'GET', undefined, FEEDBACK_CONNECTIONS, UPDATING);
    // Those that did not (a shared machine's PostgreSQL may refuse connections) create their action with their first post.
    if (retrieved.ok !== UPDATING) console.warn(`only ${retrieved.ok} of ${UPDATING} devices retrieved their action first`);
    const body = JSON.stringify({ id: 1, status: { execution: 'proceeding', result: { finished: 'none', progress: { cnt: 1, of: 3 } }, details: ['downloading'] } });
    // The gateway's CPU per message (relay and log follower included): what a busy machine's waiting hides.
    const pgPids = await backends();
    const natsPids = pidsOf('nats-server');
    const threadsBefore = threadCpu(gateway.pid);
    const cpuBefore = cpuSeconds(gateway.pid);
    const clientBefore = process.cpuUsage();
    const pgBefore = cpuSecondsOf(pgPids);
    const natsBefore = cpuSecondsOf(natsPids);
    const feedbackPath = (i: number) => `${pollPath(i % UPDATING)}/deploymentBase/${(i % UPDATING) + 1}/feedback`;
    // BENCH_GATEWAY_SIGNAL_FEEDBACK=1: SIGUSR2 to the gateway as the timed feedback load starts and ends, for a
    // preloaded profiler (BENCH_GATEWAY_NODE_ARGS="--require …") to look at this phase alone.
    const signal = process.env.BENCH_GATEWAY_SIGNAL_FEEDBACK === '1' && gateway.pid !== undefined ? () => process.kill(gateway.pid as number, 'SIGUSR2') : () => undefined;
    signal();
    const result = await loadLean(gateway, feedbackPath, seconds, body, FEEDBACK_CONNECTIONS);
    // Committed is answered; relaying the commits to JetStream may lag behind. Its CPU belongs to the messages
    // too: the window closes once the relay has published every event in the log.
    const backlog = await relayBacklog(pool);
    const relayStarted = Date.now();
    while ((await relayBacklog(pool)) > 0 && Date.now() - relayStarted < 60_000) await new Promise((resolve) => setTimeout(resolve, 20));
    console.log(`relay backlog when the load ended: ${backlog} events, published ${Date.now() - relayStarted} ms later`);
    signal();
    const cpuAfter = cpuSeconds(gateway.pid);
    const client = process.cpuUsage(clientBefore);
    const threads = [...threadCpu(gateway.pid)].map(([name, seconds]) => `${name} ${(((seconds - (threadsBefore.get(name) ?? 0)) * 1e6) / Math.max(1, result.ok + result.errors)).toFixed(1)}`);
    console.log(`gateway CPU per feedback message by thread (µs): ${threads.join(', ')}`);
    const pgSeconds = cpuSecondsSince(pgBefore);
    const natsSeconds = cpuSecondsSince(natsBefore);
    return {
      ...result,
      cpuSeconds: cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : undefined,
      clientCpuSeconds: (client.user + client.system) / 1e6,
      pgCpuSeconds: pgPids.length > 0 ? pgSeconds : undefined,
      natsCpuSeconds: natsPids.length > 0 ? natsSeconds : undefined,
    };
  } finally {
    feedbackAgent.destroy();
  }
}
