import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { Pool } from 'pg';
import { eventType, type BusNames } from '@rollgate/contracts';
import { ACTION_ID_SEQUENCE, EventStore, reserveIdBlock, type AppendRequest, type NewEvent } from '@rollgate/event-store';
import { actionDecider, groupDecider, rolloutDecider, type ActionCommand, type ActionState, type GroupConditions } from '@rollgate/rollout-domain';
import { fold, type Decider, type DomainEvent } from '@rollgate/shared-domain';
import { connectTestNats, createTestDatabase, deleteTestStreams, serviceBusEnv, testBusNames, type TestDatabase } from '@rollgate/testing';
import type { BenchReport, BenchSuite } from '../harness';

/**
 * group-scheduler as a service (the compiled main.js in a child process, as it runs in production) against
 * the real PostgreSQL and NATS, driven through the log as the planner and the gateway write it:
 *
 *   transition  100,000 targets in 10 groups (success at 100 %); per group, 9,999 devices report FINISHED in
 *               bulk, then the last one: latency from that feedback to the next group's group-started, both
 *               by `recorded_at`, which a writer stamps as it appends (before its COPY, so the round trips
 *               after the append up to COMMIT are not in it: the scheduler writes its cascade last, one
 *               round trip before its commit); also, on the bench's clock, from the feedback's commit until
 *               the bench sees the group-started committed (polled every 5 ms); the goal figures once the
 *               scheduler digested the burst, and separately right behind it;
 *               reference: one bare single-event append (its own commit round trip)
 *   stop        one group of 100,000 open actions, error count threshold 0 and STOP: from the erroring
 *               feedback to rollout-stopped (rollout-stopping cancels every open action in that one event)
 *   counters    a backlog of 9,999 devices' action events (created, retrieved, finished) counted by a
 *               restarted scheduler, from its first counted batch to the last; reference: reading the same
 *               events with the bare keyset page read every log reader uses (EventStore.readAll)
 */
const TARGETS = Number(process.env.BENCH_SCHEDULER_TARGETS ?? 100_000);
const GROUPS = 10;
const GROUP_SIZE = TARGETS / GROUPS;
const TENANT = 'bench';
const APPEND_BATCH = 500;
const CHUNK = 5_000;
const WORKSPACE = join(__dirname, '..', '..', '..');
/** BENCH_SCHEDULER_PARTS=counters: only the counters part (for profiling it); every part by default */
const COUNTERS_ONLY = process.env.BENCH_SCHEDULER_PARTS === 'counters';

const CONDITIONS: GroupConditions = {
  success: { threshold: 100, mode: 'finished' }, successAction: 'NEXTGROUP',
  error: { kind: 'percentage', threshold: 50 }, errorAction: 'PAUSE', actionType: 'forced',
};

export const suite: BenchSuite = {
  name: 'scheduler',
  description: `group transition latency over ${TARGETS.toLocaleString('en-US')} targets in ${GROUPS} groups, emergency stop of ${TARGETS.toLocaleString('en-US')} open actions, counter throughput`,
  async run(report: BenchReport) {
    const db = await createTestDatabase('rg_bench_sched');
    const names = testBusNames();
    const pool = new Pool({ connectionString: db.url, max: 8 });
    let scheduler: ChildProcess | undefined;
    try {
      scheduler = await startScheduler(db, names);
      const log = new Log(pool);

      // Counters: a backlog counted by a freshly started scheduler.
      const a = await log.createRollout('bench-a', Array.from({ length: GROUPS }, () => GROUP_SIZE), CONDITIONS);
      await log.start('bench-a');
      await waitFor(() => log.has(`rolloutgroup-${a.groups[0].groupId}`, 'group-started'));
      await stopScheduler(scheduler);
      scheduler = undefined;
      const before = await log.checkpoint();
      const backlog = await log.finishDevices(a, 0, 0, GROUP_SIZE - 1);
      const rawRead = await log.timeRawRead(before, backlog);
      scheduler = await startScheduler(db, names);
      const counting = await log.timeCounting(a.groups[0].groupId, GROUP_SIZE - 1, scheduler.pid!);
      report.metric('raw_log_read', rawRead, 'events/s');
      report.metric('counter_events_per_s', counting.eventsPerSecond, 'events/s', { reference: rawRead, goal: '>= 20,000 action events/s' });
      if (COUNTERS_ONLY) return;

      // Transitions: the last device of each group crosses the threshold.
      const latencies: number[] = [];
      const pickups: number[] = [];
      const seen: number[] = [];
      const burstLatencies: number[] = [];
      for (let g = 0; g < GROUPS; g++) {
        if (g > 0) {
          await waitFor(() => log.has(`rolloutgroup-${a.groups[g].groupId}`, 'group-started'));
          await log.finishDevices(a, g, 0, GROUP_SIZE - 1);
        }
        await waitFor(async () => (await log.finishedCount(a.groups[g].groupId)) === GROUP_SIZE - 1, 120_000);
        // Even groups: the crossing feedback arrives once the scheduler has digested the group's burst (relay,
        // bus, read models caught up), so the figure is the transition itself. Odd groups: right behind the
        // burst, while the same process still relays and acknowledges 30,000 events.
        const quiet = g % 2 === 0;
        if (quiet) await log.quiesce(names);
        const crossing = await log.finishDevices(a, g, GROUP_SIZE - 1, GROUP_SIZE);
        const committed = performance.now();
        if (g + 1 < GROUPS) {
          await waitFor(() => log.has(`rolloutgroup-${a.groups[g + 1].groupId}`, 'group-started'));
          if (quiet) seen.push(performance.now() - committed);
          const latency = await log.latency(crossing.lastEventId, `rolloutgroup-${a.groups[g + 1].groupId}`, 'group-started');
          (quiet ? latencies : burstLatencies).push(latency);
          if (quiet) pickups.push(await log.latency(crossing.lastEventId, `rolloutgroup-${a.groups[g].groupId}`, 'group-success-condition-met'));
        } else {
          await waitFor(() => log.has('rollout-bench-a', 'rollout-finished'));
        }
      }
      const appendRef = await log.timeSingleAppends(50);
      report.metric('raw_append_commit', appendRef, 'ms');
      report.metric('transition_p50_ms', percentile(latencies, 0.5), 'ms', { reference: appendRef, goal: '<= 50 ms' });
      // Of which: until the counters' reader judged the group. The report and its cascade are written as one
      // append (one stamp), so this equals the transition unless the cascade waits (a gate, a soak).
      report.metric('transition_detect_p50_ms', percentile(pickups, 0.5), 'ms');
      report.metric('transition_seen_p50_ms', percentile(seen, 0.5), 'ms', { goal: 'feedback committed to group-started committed and read, on the bench clock' });
      report.metric('transition_p99_ms', percentile(latencies, 0.99), 'ms', { reference: appendRef, goal: `<= 250 ms (${latencies.length} quiet transitions: p99 is their maximum)` });

      // Emergency stop: 100,000 open actions in one started group.
      const b = await log.createRollout('bench-b', [TARGETS], { ...CONDITIONS, error: { kind: 'count', threshold: 0 }, errorAction: 'STOP' });
      await log.start('bench-b');
      await waitFor(() => log.has(`rolloutgroup-${b.groups[0].groupId}`, 'group-started'));
      await log.quiesce(names);
      const failing = await log.finishDevices(b, 0, 0, 1, 'failure');
      await waitFor(() => log.has('rollout-bench-b', 'rollout-stopped'));
      const stopMs = await log.latency(failing.lastEventId, 'rollout-bench-b', 'rollout-stopped');
      report.metric('transition_in_burst_p50_ms', percentile(burstLatencies, 0.5), 'ms', { goal: `right behind a group's burst (${burstLatencies.length} transitions)` });
      report.metric('emergency_stop_100k_ms', stopMs, 'ms', { reference: appendRef, goal: '<= 1000 ms' });
      report.metric('transitions_measured', latencies.length + burstLatencies.length, 'transitions');
    } finally {
      if (scheduler) await stopScheduler(scheduler);
      const nc = await connectTestNats();
      await deleteTestStreams(nc, names);
      await nc.close();
      await pool.end();
      await db.drop();
    }
  },
};

async function startScheduler(db: TestDatabase, names: BusNames): Promise<ChildProcess> {
  // BENCH_SCHEDULER_PROFILE=<dir>: the scheduler writes a V8 CPU profile there when it stops.
  const profile = process.env.BENCH_SCHEDULER_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SCHEDULER_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, join(WORKSPACE, 'dist/apps/group-scheduler/src/main.js')], {
    env: { ...process.env, DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'info', ...serviceBusEnv(names) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`group-scheduler exited with ${code} before listening`)));
  });
  child.stdout!.resume();
  return child;
}

async function stopScheduler(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

class Log {
  private readonly store: EventStore;

  constructor(private readonly pool: Pool) {
    this.store = new EventStore(pool);
  }

  async decide<C, S, E extends DomainEvent>(streamId: string, decider: Decider<C, S, E>, commands: C[]): Promise<void> {
    const stored = await this.store.readStream(TENANT, streamId);
    let state = fold(decider, stored.map((e) => ({ type: e.type.split('.')[3], data: e.data }) as E));
    const events: E[] = [];
    for (const command of commands) {
      const decided = decider.decide(command, state);
      state = decided.reduce(decider.evolve, state);
      events.push(...decided);
    }
    await this.store.append(TENANT, streamId, stored.length, events.map((e) => ({ type: eventType('rollout', e.type), data: e.data, metadata: { source: 'rollgate/rollout-planner' } })));
  }

  async createRollout(rolloutId: string, sizes: number[], conditions: GroupConditions): Promise<Planned> {
    let next = await reserveIdBlock(this.pool, ACTION_ID_SEQUENCE, sizes.reduce((n, s) => n + s, 0));
    const at = Date.now();
    const groups = sizes.map((size, i) => {
      const group = { groupId: `${rolloutId}-g${i}`, firstActionId: next, targets: Array.from({ length: size }, (_, p) => `${rolloutId}-${i}-${p}`) };
      next += size;
      return group;
    });
    await this.decide(`rollout-${rolloutId}`, rolloutDecider, [{
      type: 'create-rollout', rolloutId, name: rolloutId, targetFilterQuery: 'name==*', distributionSetId: 'ds-new',
      plan: { hash: rolloutId, groups: groups.map((g, i) => ({ groupId: g.groupId, name: `g${i}`, size: g.targets.length })) },
      approvalPolicy: { enabled: false, quorum: 1, creatorMayApprove: true }, creatorPermissions: [], by: 'bench', at,
    }]);
    for (const [i, g] of groups.entries()) {
      const commands: Parameters<typeof groupDecider.decide>[0][] = [{ type: 'create-group', groupId: g.groupId, rolloutId, index: i, name: `g${i}`, conditions, at }];
      for (let c = 0; c < g.targets.length; c += CHUNK) commands.push({ type: 'add-group-members', targetIds: g.targets.slice(c, c + CHUNK), at });
      commands.push({ type: 'complete-group-creation', firstActionId: g.firstActionId, at });
      await this.decide(`rolloutgroup-${g.groupId}`, groupDecider, commands);
    }
    await this.decide(`rollout-${rolloutId}`, rolloutDecider, [{ type: 'complete-rollout-creation', at }]);
    return { rolloutId, groups };
  }

  async start(rolloutId: string): Promise<void> {
    await this.decide(`rollout-${rolloutId}`, rolloutDecider, [{ type: 'start-rollout', by: 'bench', at: Date.now() }]);
  }

  /**
   * Devices [from, to) of a group report as the gateway appends it: action-created with the first contact,
   * retrieval and the final feedback, many devices per transaction. Answers the event count and the id of
   * the last event written.
   */
  async finishDevices(rollout: Planned, groupIndex: number, from: number, to: number, finished: 'success' | 'failure' = 'success'): Promise<{ events: number; lastEventId: string }> {
    const group = rollout.groups[groupIndex];
    let events = 0;
    let lastEventId = '';
    for (let start = from; start < to; start += APPEND_BATCH) {
      const requests: AppendRequest[] = [];
      const at = Date.now();
      for (let p = start; p < Math.min(to, start + APPEND_BATCH); p++) {
        const actionId = group.firstActionId + p;
        let state: ActionState = actionDecider.initialState;
        const decided: DomainEvent[] = [];
        for (const command of [
          { type: 'create-action', actionId: String(actionId), targetId: group.targets[p], distributionSetId: 'ds-new', rolloutId: rollout.rolloutId, groupId: group.groupId, at },
          { type: 'retrieve-action', at },
          { type: 'report-action-feedback', feedback: { execution: 'closed', finished }, at },
        ] satisfies ActionCommand[]) {
          const out = actionDecider.decide(command, state);
          state = out.reduce(actionDecider.evolve, state);
          decided.push(...out);
        }
        const newEvents: NewEvent[] = decided.map((e) => ({ type: eventType('action', e.type), data: e.data, metadata: { source: 'rollgate/device-gateway' } }));
        requests.push({ tenant: TENANT, streamId: `action-${actionId}`, expectedVersion: 0, events: newEvents });
        events += newEvents.length;
      }
      const results = await this.store.appendMany(requests);
      const last = results[results.length - 1];
      lastEventId = last.eventIds[last.eventIds.length - 1];
    }
    return { events, lastEventId };
  }

  /** Until the scheduler's log readers and its bus consumer have caught up with the log. */
  async quiesce(names: BusNames): Promise<void> {
    const nc = await connectTestNats();
    try {
      const jsm = await jetstreamManager(nc);
      await waitFor(async () => {
        const head = await this.checkpoint();
        const { rows } = await this.pool.query(`SELECT name, transaction_id::text AS tx, position::text AS position FROM log_checkpoints`);
        const behind = rows.filter((r) => BigInt(r.tx) < BigInt(head.tx) || (r.tx === head.tx && BigInt(r.position) < BigInt(head.position)));
        if (behind.length > 0) return false;
        const info = await jsm.consumers.info(names.eventsStream, 'group-scheduler');
        return info.num_pending === 0 && info.num_ack_pending === 0;
      }, 120_000);
    } finally {
      await nc.close();
    }
  }

  async has(streamId: string, type: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`SELECT 1 FROM events WHERE tenant = $1 AND stream_id = $2 AND type = $3 LIMIT 1`, [TENANT, streamId, eventType('rollout', type)]);
    return (rowCount ?? 0) > 0;
  }

  async finishedCount(groupId: string): Promise<number> {
    const { rows } = await this.pool.query(`SELECT finished FROM scheduler_groups WHERE tenant = $1 AND group_id = $2`, [TENANT, groupId]);
    return rows[0]?.finished ?? -1;
  }

  /** From the commit of one event to the commit of the first `type` on `streamId`, in ms (writers' commit stamps). */
  async latency(fromEventId: string, streamId: string, type: string): Promise<number> {
    const { rows } = await this.pool.query(
      `SELECT extract(epoch FROM (t.recorded_at - f.recorded_at)) * 1000 AS ms
         FROM events f, events t WHERE f.id = $1 AND t.tenant = $2 AND t.stream_id = $3 AND t.type = $4 ORDER BY t.stream_version LIMIT 1`,
      [fromEventId, TENANT, streamId, eventType('rollout', type)],
    );
    return Number(rows[0].ms);
  }

  async checkpoint(): Promise<{ tx: string; position: string }> {
    const { rows } = await this.pool.query(`SELECT transaction_id::text AS tx, position::text AS position FROM events ORDER BY transaction_id DESC, position DESC LIMIT 1`);
    return rows[0];
  }

  /** Reads the backlog with the bare keyset page read of every log reader (pages of 5,000, as the counters). */
  async timeRawRead(after: { tx: string; position: string }, backlog: { events: number }): Promise<number> {
    const start = performance.now();
    let read = 0;
    let cursor = { transactionId: BigInt(after.tx), position: BigInt(after.position) };
    while (read < backlog.events) {
      const page = await this.store.readAll(cursor, 5000);
      if (page.length === 0) break;
      read += page.length;
      cursor = { transactionId: page[page.length - 1].transactionId, position: page[page.length - 1].position };
    }
    return read / ((performance.now() - start) / 1000);
  }

  /**
   * The restarted scheduler's counting rate: from its first committed batch (the checkpoint moves) until the
   * group's counters hold the whole backlog; the first batch's events are not part of the rate.
   */
  async timeCounting(groupId: string, devices: number, schedulerPid: number): Promise<{ eventsPerSecond: number }> {
    const name = 'group-scheduler:action-progress';
    const initial = await this.pool.query(`SELECT position::text AS p FROM log_checkpoints WHERE name = $1`, [name]);
    const initialPosition = initial.rows[0]?.p as string | undefined;
    let first: { at: number; finished: number; cpuMs: number; others: Map<string, number> } | undefined;
    for (;;) {
      const { rows } = await this.pool.query(
        `SELECT c.position::text AS p, g.finished FROM log_checkpoints c, scheduler_groups g WHERE c.name = $1 AND g.tenant = $2 AND g.group_id = $3`,
        [name, TENANT, groupId],
      );
      const now = performance.now();
      if (rows[0] && rows[0].p !== initialPosition && !first) first = { at: now, finished: rows[0].finished, cpuMs: processCpuMs(schedulerPid), others: await this.otherCpu(schedulerPid) };
      if (rows[0]?.finished === devices) {
        if (!first) throw new Error('counted before it was observed');
        // The window on the monotonic clock V8's CPU profiles use (µs), to cut the scheduler's profile to it.
        if (process.env.BENCH_SCHEDULER_PROFILE) console.log(`counting window (monotonic µs): ${monotonicMicros(first.at)} ${monotonicMicros(now)}`);
        // The scheduler's own CPU per counted event: steadier than the rate on a machine shared with others.
        const events = (devices - first.finished) * 3;
        console.log(`scheduler CPU while counting: ${(((processCpuMs(schedulerPid) - first.cpuMs) * 1000) / events).toFixed(1)} µs per event`);
        // Where the rest of the two cores went: the scheduler's threads (main, GC helpers, libuv), PostgreSQL, NATS.
        const others = await this.otherCpu(schedulerPid);
        const perEvent = [...others].map(([name, ms]) => `${name} ${(((ms - (first!.others.get(name) ?? 0)) * 1000) / events).toFixed(1)}`);
        console.log(`CPU per counted event (µs): ${perEvent.join(', ')}`);
        // Each device is three action events (created, retrieved, finished).
        return { eventsPerSecond: ((devices - first.finished) * 3) / ((now - first.at) / 1000) };
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /**
   * CPU used so far (ms) by the scheduler's threads by name, the PostgreSQL backends of the bench's database
   * together (those connected now: the scheduler's pools stay connected while counting) and nats-server.
   */
  async otherCpu(schedulerPid: number): Promise<Map<string, number>> {
    const cpu = new Map<string, number>();
    const add = (name: string, pid: number, thread?: number) => {
      try {
        cpu.set(name, (cpu.get(name) ?? 0) + processCpuMs(pid, thread));
      } catch {
        // gone meanwhile
      }
    };
    for (const tid of readdirSync(`/proc/${schedulerPid}/task`)) {
      const comm = readFileSync(`/proc/${schedulerPid}/task/${tid}/comm`, 'utf8').trim();
      add(`scheduler:${tid === String(schedulerPid) ? 'main' : comm}`, schedulerPid, Number(tid));
    }
    const { rows } = await this.pool.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`);
    for (const { pid } of rows) add('postgres', pid);
    for (const entry of readdirSync('/proc')) {
      if (/^[0-9]+$/.test(entry) && readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'nats-server') add('nats', Number(entry));
    }
    return cpu;
  }

  /** The median commit round trip of one single-event append. */
  async timeSingleAppends(n: number): Promise<number> {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const start = performance.now();
      await this.store.append(TENANT, `bench-ref-${i}`, 0, [{ type: eventType('bench', 'pinged'), data: { i } }]);
      times.push(performance.now() - start);
    }
    return percentile(times, 0.5);
  }
}

interface Planned {
  rolloutId: string;
  groups: Array<{ groupId: string; firstActionId: number; targets: string[] }>;
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux). */
function processCpuMs(pid: number, thread?: number): number {
  const fields = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** A performance.now() instant on the system's monotonic clock, in µs. */
function monotonicMicros(at: number): number {
  return Math.round(Number(process.hrtime.bigint() / 1000n) - (performance.now() - at) * 1000);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN;
}

async function waitFor(probe: () => Promise<boolean>, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
