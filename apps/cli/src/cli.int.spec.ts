import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import { createTestDatabase, eventually, type TestDatabase, testPool } from '@rollgate/testing';
import { checkpointOf, EVENT_STORE_MIGRATIONS, EventStore, LOG_START, runMigrations, sealBatch, withClient } from '@rollgate/event-store';
import { PROJECTIONS } from './commands/projections.command';
import { REPO_ROOT } from './local-stack';

const run = promisify(execFile);
// The installed command, as `npx rollgate` runs it (through the node_modules/.bin symlink).
const BIN = join(REPO_ROOT, 'node_modules', '.bin', 'rollgate');

/** Runs the real `rollgate` binary (built into dist/ by the Jest global setup); never throws. */
async function rollgate(databaseUrl: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, '--database-url', databaseUrl, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('rollgate CLI against a real log', () => {
  let db: TestDatabase;
  let pool: Pool;
  let store: EventStore;

  beforeAll(async () => {
    db = await createTestDatabase('rg_cli');
    await runMigrations(db.url, EVENT_STORE_MIGRATIONS);
    pool = testPool(db.url);
    store = new EventStore(pool);
    for (let r = 0; r < 3; r += 1) {
      await store.append('acme', `rollout-${r}`, 0, [
        { type: 'io.rollgate.rollout.rollout-created.v1', data: { name: `r${r}` }, metadata: { actor: 'alice' } },
        { type: 'io.rollgate.rollout.rollout-started.v1', data: {} },
      ]);
    }
    // Wait until all six are readable: an open transaction elsewhere on the server can hold readers back.
    const batch = await eventually(async () => {
      const events = await store.readAll(LOG_START, 100);
      return events.length === 6 ? events : undefined;
    });
    await withClient(pool, async (client) => {
      await client.query('BEGIN');
      await sealBatch(client, batch);
      await client.query('COMMIT');
    });
    expect(checkpointOf(batch[batch.length - 1]).position).toBeGreaterThan(0n);
  });

  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('audit verify passes on an intact log and exits 0', async () => {
    const result = await rollgate(db.url, 'audit', 'verify');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('log verified: 6 events in 3 streams, 1 seals (0 events not sealed yet)');
  });

  it('projections rebuild replays the log into the named read model', async () => {
    const result = await rollgate(db.url, 'projections', 'rebuild', 'stream-catalog');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/rebuilt stream-catalog: 6 events replayed/);
    const { rows } = await pool.query(`SELECT stream_id, version, last_event_type FROM stream_catalog ORDER BY stream_id`);
    expect(rows).toEqual([0, 1, 2].map((r) => ({ stream_id: `rollout-${r}`, version: 2, last_event_type: 'io.rollgate.rollout.rollout-started.v1' })));
  });

  it('answers an unknown projection with one line and its code', async () => {
    const result = await rollgate(db.url, 'projections', 'rebuild', 'nope');
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`rollgate: no projection named "nope"; known: ${[...PROJECTIONS.keys()].join(', ')} (unknown_projection)`);
    expect([...PROJECTIONS.keys()]).toContain('stream-catalog');
  });

  it('says clearly when the database holds no log', async () => {
    const empty = await createTestDatabase('rg_cli_empty');
    try {
      const result = await rollgate(empty.url, 'audit', 'verify');
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/no event log in .*: start the services once \(npm start\) to create it \(log_not_found\)/);
    } finally {
      await empty.drop();
    }
  });

  it('audit verify exits 1 and names the first broken link after tampering', async () => {
    await withClient(pool, async (client) => {
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica');
      await client.query(`UPDATE events SET data = '{"name": "forged"}' WHERE stream_id = 'rollout-1' AND stream_version = 1`);
      await client.query('COMMIT');
    });
    const result = await rollgate(db.url, 'audit', 'verify');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/log TAMPERED: event rollout-1@1 \(position \d+\) does not match its hash: its contents were changed/);
  });
});
