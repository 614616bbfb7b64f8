import { Pool } from 'pg';
import { EventStore } from '@rollgate/event-store';
import { verifyBundle, type RolloutExport, type RolloutSnapshot } from '@rollgate/audit';
import { eventually, testPool } from '@rollgate/testing';
import { SimulatedRun } from '../../../../libs/audit/test/scheduler-simulation';
import { ADMIN_PASSWORD, startAuditedPlanner, type AuditedPlanner } from '../../../cli/test/audited-planner';

jest.setTimeout(120_000);

const admin = { tenant: 'acme', user: 'admin', password: ADMIN_PASSWORD };
const reader = { tenant: 'acme', user: 'reader', password: 'reader-password-1234' };
const nobody = { tenant: 'acme', user: 'nobody', password: 'nobody-password-1234' };
const stranger = { tenant: 'globex', user: 'admin', password: 'globex-password-1234' };

type Page = { content: Array<Record<string, unknown>> };
interface ApiAnswer {
  at: Date;
  rollout: Record<string, unknown>;
  groups: Array<Record<string, unknown>>;
}

describe('audit routes of the Management API', () => {
  let planner: AuditedPlanner;
  let pool: Pool;
  let store: EventStore;
  let rolloutId: string;
  const recorded: ApiAnswer[] = [];
  /** what the simulation did, per group, at each recorded instant: the truth the counts must match */
  const truth: Array<Array<Record<string, number>>> = [];

  const api = async (method: string, path: string, body?: unknown, auth = admin) => {
    const answer = await planner.request(method, path, auth, body);
    if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body as Record<string, unknown>;
  };

  /**
   * Waits until the API has caught up with what was appended (the rollout and its groups in the given
   * statuses: the projection applies the log in batches), then records what it answered and when.
   */
  async function record(status: string, groupStatuses: string[], counts: Array<Record<string, number>>): Promise<void> {
    const answer = await eventually(async () => {
      const at = new Date();
      const rollout = await api('GET', `/rest/v1/rollouts/${rolloutId}`);
      const groups = ((await api('GET', `/rest/v1/rollouts/${rolloutId}/deploygroups`)) as unknown as Page).content;
      const caughtUp = rollout.status === status && groups.map((g) => g.status).join() === groupStatuses.join();
      return caughtUp ? { at, rollout, groups } : undefined;
    });
    recorded.push(answer);
    truth.push(counts);
    // The next event must be recorded strictly after this instant.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }

  beforeAll(async () => {
    planner = await startAuditedPlanner();
    pool = testPool(planner.db.url);
    store = new EventStore(pool);
    await planner.createUser('acme', 'reader', reader.password, ['READ_ROLLOUT']);
    await planner.createUser('acme', 'nobody', nobody.password, ['READ_TARGET']);
    await planner.createUser('globex', 'admin', stranger.password, ['READ_ROLLOUT']);
    await api('POST', '/rest/v1/targets', Array.from({ length: 6 }, (_, i) => ({ controllerId: `dev-${i}` })));
    const [module] = (await api('POST', '/rest/v1/softwaremodules', [{ name: 'os', version: '2.0', type: 'os' }])) as unknown as Array<{ id: string }>;
    const [set] = (await api('POST', '/rest/v1/distributionsets', [{ name: 'fw', version: '2.0', type: 'os', modules: [{ id: module.id }] }])) as unknown as Array<{ id: string }>;

    const notStarted = (n: number) => ({ notstarted: n });
    rolloutId = String((await api('POST', '/rest/v1/rollouts', { name: 'fw-2.0', distributionSetId: set.id, targetFilterQuery: 'controllerId==dev-*', amountGroups: 2 })).id);
    await record('ready', ['ready', 'ready'], [notStarted(3), notStarted(3)]);
    await api('POST', `/rest/v1/rollouts/${rolloutId}/start`);
    await record('starting', ['ready', 'ready'], [notStarted(3), notStarted(3)]);
    const run = new SimulatedRun(store, 'acme', rolloutId);
    await run.start();
    await run.startGroup(0);
    await record('running', ['running', 'scheduled'], [{ scheduled: 3 }, notStarted(3)]);
    await run.device(0, 0, 'FINISHED');
    await run.device(0, 1, 'RUNNING');
    await record('running', ['running', 'scheduled'], [{ finished: 1, running: 1, scheduled: 1 }, notStarted(3)]);
    await run.device(0, 1, 'FINISHED');
    await run.device(0, 2, 'FINISHED');
    await run.succeedGroup(0);
    await run.startGroup(1);
    await record('running', ['finished', 'running'], [{ finished: 3 }, { scheduled: 3 }]);
    for (let p = 0; p < 3; p++) await run.device(1, p, 'FINISHED');
    await run.failGateAndRollBack(1, 'error_rate 8% > 1%');
    await record('stopped', ['finished', 'error'], [{ finished: 3 }, { finished: 3 }]);
  });

  afterAll(async () => {
    await pool?.end();
    await planner?.close();
  });

  it('rebuilds, at every recorded instant, the state the API answered then (from the log alone)', async () => {
    expect(recorded.map((r) => r.rollout.status)).toEqual(['ready', 'starting', 'running', 'running', 'running', 'stopped']);
    for (const [i, answer] of recorded.entries()) {
      const replayed = (await api('GET', `/rest/v1/rollouts/${rolloutId}/audit/state?asOf=${answer.at.toISOString()}`)) as unknown as RolloutSnapshot;
      expect({ instant: i, status: replayed.status, totalTargets: replayed.totalTargets }).toEqual({ instant: i, status: answer.rollout.status, totalTargets: answer.rollout.totalTargets });
      expect(replayed.groups.map((g) => [g.id, g.name, g.totalTargets])).toEqual(answer.groups.map((g) => [g.id, g.name, g.totalTargets]));
      replayed.groups.forEach((g, k) => {
        expect({ instant: i, group: k, status: g.status }).toEqual({ instant: i, group: k, status: answer.groups[k].status });
        expect({ instant: i, group: k, counts: g.totalTargetsPerStatus }).toEqual({ instant: i, group: k, counts: { running: 0, notstarted: 0, scheduled: 0, cancelled: 0, finished: 0, error: 0, ...truth[i][k] } });
      });
    }
    const last = (await api('GET', `/rest/v1/rollouts/${rolloutId}/audit/state`)) as unknown as RolloutSnapshot;
    // The live view's lighter read (each action's first and last event) answers what the full replay does.
    const full = (await api('GET', `/rest/v1/rollouts/${rolloutId}/audit/state?asOf=${new Date().toISOString()}`)) as unknown as RolloutSnapshot;
    expect({ ...last, asOf: '', eventsApplied: 0, lastPosition: '' }).toEqual({ ...full, asOf: '', eventsApplied: 0, lastPosition: '' });
    expect(last.eventsApplied).toBeLessThan(full.eventsApplied);
    expect(last).toMatchObject({ status: 'stopped', stopReason: 'rollback', groups: [{ status: 'finished' }, { status: 'error', gate: 'canary_gate FAIL: error_rate 8% > 1%' }] });
  });

  it('tells the history with actors and causes, by id or by name', async () => {
    const byName = (await api('GET', '/rest/v1/rollouts/fw-2.0/audit/history')) as { rolloutId: string; entries: Array<Record<string, string>> };
    expect(byName.rolloutId).toBe(rolloutId);
    expect(byName.entries.find((e) => e.event === 'rollout-starting')).toMatchObject({ actor: expect.stringContaining('admin'), summary: 'start requested by admin' });
    expect(byName.entries.find((e) => e.event === 'gate-evaluated')).toMatchObject({ actor: 'service:health-evaluator', cause: 'reason: error_rate 8% > 1%' });
    expect(byName.entries.filter((e) => e.stream.startsWith('action-'))).toHaveLength(6 * 3); // per device: action-created, then RUNNING and FINISHED feedback
  });

  it('exports a bundle signed with the server key published at /audit/signing-key', async () => {
    const exported = (await api('GET', `/rest/v1/rollouts/${rolloutId}/audit/export`)) as unknown as RolloutExport;
    const key = await api('GET', '/rest/v1/audit/signing-key', undefined, reader);
    expect(verifyBundle(exported.signed, { trustedKeyId: String(key.keyId), report: exported.html })).toEqual({ ok: true, keyId: key.keyId });
    expect(exported.signed.bundle.incidents).toEqual([expect.objectContaining({ kind: 'rollback', cause: 'health gate canary_gate FAIL: error_rate 8% > 1%' })]);
    expect(exported.signed.bundle.devices).toHaveLength(6);
    expect(exported.incidentReports).toHaveLength(1);
    const tampered = JSON.parse(JSON.stringify(exported.signed));
    tampered.bundle.rollout.status = 'finished';
    expect(verifyBundle(tampered).ok).toBe(false);
  });

  it('needs READ_ROLLOUT, credentials and the rollout\'s own tenant; a bad instant is a 400 with a code', async () => {
    const path = `/rest/v1/rollouts/${rolloutId}/audit/history`;
    expect((await planner.request('GET', path, undefined)).status).toBe(401);
    expect((await planner.request('GET', path, nobody)).status).toBe(403);
    expect((await planner.request('GET', path, reader)).status).toBe(200);
    expect(await planner.request('GET', path, stranger)).toMatchObject({ status: 404, body: { code: 'rollout_not_found' } });
    expect(await planner.request('GET', `/rest/v1/rollouts/${rolloutId}/audit/export`, stranger)).toMatchObject({ status: 404, body: { code: 'rollout_not_found' } });
    expect(await planner.request('GET', `/rest/v1/rollouts/${rolloutId}/audit/state?asOf=yesterday`, reader)).toMatchObject({ status: 400, body: { code: 'invalid_instant' } });
  });
});
