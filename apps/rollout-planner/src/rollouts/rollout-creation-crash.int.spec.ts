import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import type { BusNames } from '@rollgate/contracts';
import { connectTestNats, createTestDatabase, deleteTestStreams, eventually, serviceBusEnv, testBusNames, type TestDatabase } from '@rollgate/testing';
import { buildWorkspace, WORKSPACE_ROOT } from '../../test/built-workspace';

jest.setTimeout(180_000);

/**
 * Past the one-transaction budget (ONE_TRANSACTION_BYTES, 2 MiB of ids), so that creation goes through its
 * phases: 18,000 ids of the longest kind (128 characters) are ~2.4 MB.
 */
const FLEET = 18_000;
const controllerId = (i: number): string => `dev-${String(i).padStart(124, '0')}`;
/** A fleet small enough to be created in one transaction. */
const SMALL_FLEET = 2_000;
const ADMIN = 'Basic ' + Buffer.from('acme\\admin:crash-admin-password-1').toString('base64');

interface Planner {
  child: ChildProcess;
  url: string;
  exited: Promise<unknown>;
}

/** rollout-planner as the process it runs as (`node dist/apps/rollout-planner/src/main.js`), so it can be killed outright. */
async function startPlanner(db: TestDatabase, names: BusNames): Promise<Planner> {
  const child = spawn(process.execPath, [join(WORKSPACE_ROOT, 'dist/apps/rollout-planner/src/main.js')], {
    env: {
      PATH: process.env.PATH, DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'info', ...serviceBusEnv(names),
      ROLLGATE_BOOTSTRAP_TENANT: 'acme', ROLLGATE_BOOTSTRAP_ADMIN_USER: 'admin', ROLLGATE_BOOTSTRAP_ADMIN_PASSWORD: 'crash-admin-password-1',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/[^\s"]+)/.exec(out);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`rollout-planner exited with ${code} before listening:\n${out}`)));
  });
  child.stdout!.resume();
  return { child, url, exited };
}

interface Answer {
  status: number;
  body: unknown;
}

async function call(planner: Planner, method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${planner.url}${path}`, { method, headers: { authorization: ADMIN, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** The planner's natural ids (apps/rollout-planner/src/catalog/catalog-ids.ts), restated so the test knows the streams. */
function naturalId(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * A planner killed (SIGKILL) in the middle of creating a rollout: every membership chunk is in the log, the
 * readiness is not. The restarted planner finds the rollout CREATING with nobody creating it and removes it
 * cleanly, so no half-created rollout is ever left behind; the same targets can be rolled out at once.
 */
describe('a rollout creation killed midway', () => {
  let db: TestDatabase;
  let names: BusNames;
  let planner: Planner | undefined;
  let sql: Client;
  let setId: string;

  beforeAll(async () => {
    buildWorkspace();
    db = await createTestDatabase('rg_crash');
    names = testBusNames();
    sql = new Client({ connectionString: db.url });
    await sql.connect();
  });
  afterAll(async () => {
    if (planner && planner.child.exitCode === null) {
      planner.child.kill('SIGTERM');
      await planner.exited;
    }
    await sql?.end();
    const nc = await connectTestNats();
    await deleteTestStreams(nc, names);
    await nc.close();
    await db?.drop();
  });

  it('is removed with its groups and members on restart, never left half-created', async () => {
    planner = await startPlanner(db, names);
    for (let from = 0; from < FLEET; from += 6_000) {
      const targets = Array.from({ length: 6_000 }, (_, i) => ({ controllerId: controllerId(from + i) }));
      expect((await call(planner, 'POST', '/rest/v1/targets', targets)).status).toBe(201);
    }
    const modules = await call(planner, 'POST', '/rest/v1/softwaremodules', [{ name: 'image', version: '1.0', type: 'os' }]);
    const sets = await call(planner, 'POST', '/rest/v1/distributionsets', [{ name: 'fw', version: '1.0', type: 'os', modules: [{ id: (modules.body as Array<{ id: string }>)[0].id }] }]);
    setId = (sets.body as Array<{ id: string }>)[0].id;

    // Hold creation between its membership and its readiness: the action id block it reserves last waits on
    // this table lock (a lock, not a write, so the log's readers are not held back and progress stays visible).
    await sql.query('BEGIN');
    await sql.query('LOCK TABLE id_blocks IN SHARE MODE');
    const rolloutId = naturalId('rollout', 'crashing');
    const created = await call(planner, 'POST', '/rest/v1/rollouts', { name: 'crashing', distributionSetId: setId, targetFilterQuery: 'id==*', amountGroups: 2 });
    expect(created).toMatchObject({ status: 201, body: { id: rolloutId, status: 'creating', creationProgress: { addedTargets: FLEET, totalTargets: FLEET } } });

    planner.child.kill('SIGKILL');
    await planner.exited;
    await sql.query('ROLLBACK');
    const left = await sql.query(`SELECT status, created_targets FROM rollouts WHERE id = $1`, [rolloutId]);
    expect(left.rows).toEqual([{ status: 'creating', created_targets: FLEET }]);
    const members = await sql.query(`SELECT COALESCE(sum(cardinality(controller_ids)), 0)::int AS n FROM rollout_group_members WHERE rollout_id = $1`, [rolloutId]);
    expect(members.rows[0].n).toBe(FLEET);

    planner = await startPlanner(db, names);
    const restarted = planner;
    await eventually(async () => (await call(restarted, 'GET', `/rest/v1/rollouts/${rolloutId}`)).status === 404);
    const counts = await sql.query(
      `SELECT (SELECT count(*)::int FROM rollout_groups WHERE rollout_id = $1) AS groups, (SELECT count(*)::int FROM rollout_group_members WHERE rollout_id = $1) AS members`,
      [rolloutId],
    );
    expect(counts.rows[0]).toEqual({ groups: 0, members: 0 });
    const events = await sql.query(`SELECT type, data FROM events WHERE stream_id = $1 ORDER BY stream_version`, [`rollout-${rolloutId}`]);
    expect(events.rows.map((e: { type: string }) => e.type.split('.')[3])).toEqual(['rollout-created', 'rollout-deleting', 'rollout-deleted']);
    expect(events.rows[2].data).toMatchObject({ hard: true });

    const again = await call(restarted, 'POST', '/rest/v1/rollouts', { name: 'after-the-crash', distributionSetId: setId, targetFilterQuery: 'id==*', amountGroups: 2 });
    expect(again).toMatchObject({ status: 201, body: { status: 'ready', totalTargets: FLEET, totalGroups: 2 } });
  });
  it('created in one transaction, leaves nothing behind when killed before its append', async () => {
    const live = planner!;
    for (let from = 0; from < SMALL_FLEET; from += 1_000) {
      const targets = Array.from({ length: 1_000 }, (_, i) => ({ controllerId: `small-${String(from + i).padStart(5, '0')}` }));
      expect((await call(live, 'POST', '/rest/v1/targets', targets)).status).toBe(201);
    }
    // The action id block is reserved before the one append: holding it holds the creation just before it.
    await sql.query('BEGIN');
    await sql.query('LOCK TABLE id_blocks IN SHARE MODE');
    const rolloutId = naturalId('rollout', 'crashing-at-once');
    const body = { name: 'crashing-at-once', distributionSetId: setId, targetFilterQuery: 'id==small-*', amountGroups: 2 };
    const answer = call(live, 'POST', '/rest/v1/rollouts', body).catch(() => undefined); // the planner dies before answering
    const waiting = new Client({ connectionString: db.url });
    await waiting.connect();
    try {
      await eventually(async () => (await waiting.query(`SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'id_blocks'::regclass AND NOT granted`)).rows[0].n > 0);
    } finally {
      await waiting.end();
    }

    live.child.kill('SIGKILL');
    await live.exited;
    await answer;
    await sql.query('ROLLBACK');
    expect((await sql.query(`SELECT count(*)::int AS n FROM events WHERE stream_id = $1 OR stream_id LIKE 'rolloutgroup-%' AND data->>'rolloutId' = $2`, [`rollout-${rolloutId}`, rolloutId])).rows[0].n).toBe(0);

    planner = await startPlanner(db, names);
    const restarted = planner;
    expect((await call(restarted, 'GET', `/rest/v1/rollouts/${rolloutId}`)).status).toBe(404);
    expect(await call(restarted, 'POST', '/rest/v1/rollouts', body)).toMatchObject({ status: 201, body: { id: rolloutId, status: 'ready', totalTargets: SMALL_FLEET, totalGroups: 2 } });
    const events = await sql.query(`SELECT type FROM events WHERE stream_id = $1 ORDER BY stream_version`, [`rollout-${rolloutId}`]);
    expect(events.rows.map((e: { type: string }) => e.type.split('.')[3])).toEqual(['rollout-created', 'rollout-ready']);
  });
});
