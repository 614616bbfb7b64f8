import { HEALTH_EVENT_TYPES, type TelemetrySample } from '@rollgate/contracts';
import { recheckGateEvidence, type GateEvidence } from '@rollgate/health-domain';
import { Value } from '@sinclair/typebox/value';
import { inTransaction } from '@rollgate/event-store';
import { eventually } from '@rollgate/testing';
import { startEvaluator, type Evaluator } from '../test/evaluator.harness';

/**
 * health-evaluator against the real PostgreSQL and NATS: rollout and group events appended to the log as
 * the planner, scheduler and gateway would, telemetry published to JetStream as the gateway would, and the
 * evaluator's conclusions read back from the rollout's health stream.
 */
const MIN = 60_000;
const OLD = 'app:1.0';
const NEW = 'app:2.0';
const rollout = (event: string) => `io.rollgate.rollout.${event}.v1`;

interface Fleet {
  rolloutId: string;
  canary: string[];
  control: string[];
  firstActionId: number;
}

/** Short canary phases (5/10/15 min) so a canary deployed 20 minutes ago has lived through all three. */
const execution = {
  strategy: 'canary-waves', soakMs: [], maxAttempts: 1, offlinePolicy: 'skip_and_queue',
  healthGates: { canary_gate: { immediate_ms: 5 * MIN, short_term_ms: 10 * MIN, soak_ms: 15 * MIN } },
};

/** Action ids are reserved in blocks per rollout (docs/event-flow.md): every rollout here gets its own. */
let nextActionBlock = 1000;

async function createRollout(ev: Evaluator, tenant: string, rolloutId: string): Promise<Fleet> {
  const ids = (prefix: string) => ['cam', 'cam', 'gw', 'gw'].map((type, i) => `${rolloutId}-${prefix}-${type}-${i}`);
  const fleet = { rolloutId, canary: ids('canary'), control: ids('later'), firstActionId: nextActionBlock };
  nextActionBlock += 1000;
  await ev.append(tenant, 'distributionset-ds2', 'io.rollgate.distributionset.distribution-set-created.v1', { distributionSetId: 'ds2', name: 'app', version: '2.0', type: 'os', description: '', requiredMigrationStep: false, modules: [], by: 'admin', at: Date.now() });
  await ev.append(tenant, `rollout-${rolloutId}`, rollout('rollout-created'), { rolloutId, name: rolloutId, distributionSetId: 'ds2', execution, at: Date.now() });
  for (const [index, members] of [fleet.canary, fleet.control].entries()) {
    const groupId = `${rolloutId}-g${index}`;
    await ev.append(tenant, `rolloutgroup-${groupId}`, rollout('group-created'), { groupId, rolloutId, index, name: `g${index}`, conditions: { healthGate: index === 0 ? 'canary-gate' : 'wave-gate' }, at: Date.now() });
    await ev.append(tenant, `rolloutgroup-${groupId}`, rollout('group-members-added'), { chunk: 0, targetIds: members, at: Date.now() });
    await ev.append(tenant, `rolloutgroup-${groupId}`, rollout('group-ready'), { size: members.length, firstActionId: fleet.firstActionId + index * 100, at: Date.now() });
  }
  return fleet;
}

function deviceType(id: string): string {
  return id.includes('-cam-') ? 'cam' : 'gw';
}

/** A sample every 30 s (the seeds' health_check_interval) per device over [from, to), shaped per device. */
function samples(tenant: string, ids: string[], from: number, to: number, shape: (id: string) => Partial<TelemetrySample>): TelemetrySample[] {
  const out: TelemetrySample[] = [];
  for (let at = from; at < to; at += MIN / 2) {
    for (const id of ids) out.push({ tenant, controllerId: id, at, errorRate: 0.01, latencyP95Ms: 100, memoryMb: 500, cpuPct: 40, restarts: 0, healthEndpoint: 'up', runningVersion: OLD, deviceType: deviceType(id), ...shape(id) });
  }
  return out;
}

async function startAndDeploy(ev: Evaluator, tenant: string, fleet: Fleet, now: number, after: (id: string) => Partial<TelemetrySample>): Promise<void> {
  const all = [...fleet.canary, ...fleet.control];
  const before = ev.received();
  const history = samples(tenant, all, now - 140 * MIN, now - 20 * MIN, () => ({}));
  await ev.publish(history);
  await eventually(async () => ev.received() >= before + history.length);
  await ev.append(tenant, `rollout-${fleet.rolloutId}`, rollout('rollout-starting'), { by: 'admin', at: now - 20 * MIN });
  await eventually(async () => (await ev.healthEvents(tenant, fleet.rolloutId)).some((e) => e.type === 'io.rollgate.health.baselines-captured.v1'));
  await ev.append(tenant, `rolloutgroup-${fleet.rolloutId}-g0`, rollout('group-started'), { size: 4, at: now - 20 * MIN });
  for (const [position] of fleet.canary.entries()) {
    await ev.append(tenant, `action-${fleet.firstActionId + position}`, 'io.rollgate.action.action-feedback-received.v1', { from: 'RUNNING', status: 'FINISHED', execution: 'closed', finished: 'success', details: [], channel: 'deployment', at: now - 20 * MIN });
  }
  // The evaluator has seen every install before the new build's telemetry arrives (as in the field, where
  // devices report the new version only after their feedback).
  await eventually(async () => fleet.canary.every((id) => ev.registry.rollout(tenant, fleet.rolloutId)?.devices.get(id)?.deployedAt !== undefined));
  const recent = [...samples(tenant, fleet.canary, now - 20 * MIN, now, (id) => ({ runningVersion: NEW, ...after(id) })), ...samples(tenant, fleet.control, now - 20 * MIN, now, () => ({}))];
  const mark = ev.received();
  await ev.publish(recent);
  await eventually(async () => ev.received() >= mark + recent.length);
}

async function requestGate(ev: Evaluator, tenant: string, fleet: Fleet, gate: string) {
  const request = await ev.append(tenant, `rolloutgroup-${fleet.rolloutId}-g0`, rollout('group-gate-requested'), { gate, counters: { total: 4, scheduled: 0, running: 0, downloaded: 0, finished: 4, error: 0, canceled: 0, verified: 0 }, at: Date.now() });
  const verdict = await eventually(async () => (await ev.healthEvents(tenant, fleet.rolloutId)).find((e) => e.type === 'io.rollgate.health.gate-evaluated.v1' && (e.data as { requestId: string }).requestId === request.id));
  return { request, verdict: verdict.data as { verdict: string; reason: string; verdictId: string; groupId: string; rolloutId: string; evidence: { checks: Array<{ check: string; verdict: string; byDeviceType?: Array<{ deviceType: string; verdict: string; samples: number; value: number; threshold: number }> }> } } };
}

describe('health-evaluator (real PostgreSQL and NATS)', () => {
  let ev: Evaluator;

  beforeAll(async () => {
    ev = await startEvaluator({ HEALTH_EVALUATION_INTERVAL_MS: '300' });
  });

  afterAll(async () => {
    await ev?.close();
  });

  afterEach(async () => {
    // Whatever the evaluator appended must match the published schemas (libs/contracts/src/health).
    for (const rolloutId of ['bad', 'good', 'ab', 'isolated']) {
      for (const event of await ev.healthEvents('acme', rolloutId)) {
        const schema = HEALTH_EVENT_TYPES.find((t) => t.type === event.type)?.schema;
        expect(schema && Value.Check(schema, event.data) ? event.type : Value.Errors(schema!, event.data).First()).toBe(event.type);
        // ... and every verdict follows from its recorded evidence, as an auditor would recompute it.
        if (event.type === 'io.rollgate.health.gate-evaluated.v1') {
          const { verdict, evidence } = event.data as { verdict: string; evidence: GateEvidence };
          expect(recheckGateEvidence(evidence)).toBe(verdict);
        }
      }
    }
  });

  it('fails the canary gate of a build that raises errors on one device type, and triggers the rollback of all', async () => {
    const fleet = await createRollout(ev, 'acme', 'bad');
    await startAndDeploy(ev, 'acme', fleet, Date.now(), (id) => (deviceType(id) === 'cam' ? { errorRate: 0.2 } : {}));
    const { verdict } = await requestGate(ev, 'acme', fleet, 'canary-gate');
    expect(verdict).toMatchObject({ verdict: 'FAIL', rolloutId: 'bad', groupId: 'bad-g0' });
    const errorRate = verdict.evidence.checks.find((c) => c.check === 'error_rate')!;
    expect(errorRate.byDeviceType!.map((p) => [p.deviceType, p.verdict])).toEqual([['cam', 'FAIL'], ['gw', 'PASS']]);
    expect(errorRate.byDeviceType![0]).toMatchObject({ value: 0.2, threshold: 0.03 });
    expect(errorRate.byDeviceType![0].samples).toBeGreaterThanOrEqual(20);

    const trigger = await eventually(async () => (await ev.healthEvents('acme', 'bad')).find((e) => e.type === 'io.rollgate.health.rollback-triggered.v1'));
    expect(trigger.data).toMatchObject({ rolloutId: 'bad', trigger: 'error_rate_spike', kind: 'threshold', action: 'rollback_all', scope: 'all_deployed', keys: ['error_rate_spike'] });
    expect(trigger.data).toMatchObject({ controllerIds: [], evidence: { devices: 4 } });
    expect(((trigger.data as { evidence: { someControllerIds: string[] } }).evidence.someControllerIds).sort()).toEqual([...fleet.canary].sort());
  });

  it('passes a good build, verifies its devices (two-phase success), and answers a redelivered request once', async () => {
    const fleet = await createRollout(ev, 'acme', 'good');
    await startAndDeploy(ev, 'acme', fleet, Date.now(), () => ({}));
    const baselines = (await ev.healthEvents('acme', 'good')).find((e) => e.type === 'io.rollgate.health.baselines-captured.v1')!;
    const cohorts = (baselines.data as { cohorts: Array<{ cohort: { groupId: string; deviceType: string; version: string }; metrics: { errorRate: { mean: number; samples: number } } }> }).cohorts;
    expect(cohorts.map((c) => `${c.cohort.groupId}|${c.cohort.deviceType}|${c.cohort.version}`).sort()).toEqual(['good-g0|cam|app:1.0', 'good-g0|gw|app:1.0', 'good-g1|cam|app:1.0', 'good-g1|gw|app:1.0']);
    expect(cohorts[0].metrics.errorRate).toMatchObject({ mean: 0.01, samples: 480 });

    const { verdict, request } = await requestGate(ev, 'acme', fleet, 'canary_gate');
    expect(verdict).toMatchObject({ verdict: 'PASS', reason: 'all_checks_pass' });
    // A redelivered request (same event id) finds its verdict recorded and appends nothing.
    const again = await inTransaction(ev.pool, (tx) => ev.evaluation.answerGate(tx, 'acme', 'good-g0', 'canary_gate', request.id, Date.now(), {}));
    expect(again).toEqual([]);

    const verified = await eventually(async () => {
      const events = (await ev.healthEvents('acme', 'good')).filter((e) => e.type === 'io.rollgate.health.device-verified.v1');
      return events.length === fleet.canary.length ? events : undefined;
    });
    expect(verified.map((e) => (e.data as { actionId: number }).actionId).sort()).toEqual([0, 1, 2, 3].map((p) => fleet.firstActionId + p));
    expect((await ev.healthEvents('acme', 'good')).some((e) => e.type === 'io.rollgate.health.rollback-triggered.v1')).toBe(false);
  });

  it('records an A/B fallback as a failed device', async () => {
    const fleet = await createRollout(ev, 'acme', 'ab');
    const [fallsBack] = fleet.canary;
    const now = Date.now();
    await startAndDeploy(ev, 'acme', fleet, now, () => ({}));
    await ev.publish([{ tenant: 'acme', controllerId: fallsBack, at: now + 1000, runningVersion: OLD, healthEndpoint: 'up' }]);
    const fallback = await eventually(async () => (await ev.healthEvents('acme', 'ab')).find((e) => e.type === 'io.rollgate.health.device-fallback-detected.v1'));
    expect(fallback.data).toMatchObject({ rolloutId: 'ab', controllerId: fallsBack, actionId: fleet.firstActionId, runningVersion: OLD });
  });

  it('counts and drops malformed telemetry without stopping, and keeps tenants apart', async () => {
    const malformedBefore = Object.values(ev.malformed()).reduce((a, b) => a + b, 0);
    await ev.publishRaw(`${ev.names.subjectRoot}.tel.acme.d1`, 'not json');
    await ev.publishRaw(`${ev.names.subjectRoot}.tel.acme.d1`, JSON.stringify({ tenant: 'acme', controllerId: 'd1', at: -5 }));
    await ev.publishRaw(`${ev.names.subjectRoot}.tel.acme.d1`, JSON.stringify({ tenant: 'other', controllerId: 'd1', at: Date.now() }));
    await eventually(async () => Object.values(ev.malformed()).reduce((a, b) => a + b, 0) === malformedBefore + 3);
    expect(ev.malformed()).toMatchObject({ not_json: 1, schema: 1, subject_mismatch: 1 });

    // Another tenant's devices with the same ids report terrible health: acme's verdict must not see it.
    const fleet = await createRollout(ev, 'acme', 'isolated');
    const now = Date.now();
    await ev.publish(samples('other', [...fleet.canary, ...fleet.control], now - 20 * MIN, now, () => ({ errorRate: 0.9, runningVersion: NEW })));
    await startAndDeploy(ev, 'acme', fleet, now, () => ({}));
    const { verdict } = await requestGate(ev, 'acme', fleet, 'canary-gate');
    expect(verdict.verdict).toBe('PASS');
    const ready = await fetch(`${ev.service.url}/readyz`);
    expect(ready.status).toBe(200);
  });
});
