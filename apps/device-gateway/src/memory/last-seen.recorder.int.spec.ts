import { createTestDatabase, testPool, type TestDatabase } from '@rollgate/testing';
import { runMigrations } from '@rollgate/event-store';
import type { Pool } from 'pg';
import { CreateDeviceLastSeen1764700000000 } from '../migrations/1764700000000-create-device-last-seen';
import { LastSeenRecorder } from './last-seen.recorder';

describe('last-seen recorder (real PostgreSQL)', () => {
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase('rg_gw_lastseen');
    await runMigrations(db.url, [CreateDeviceLastSeen1764700000000]);
    pool = testPool(db.url);
  });

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  const stored = async () =>
    (await pool.query(`SELECT tenant, controller_id, (extract(epoch FROM last_seen_at) * 1000)::bigint::float8 AS at FROM device_last_seen ORDER BY tenant, controller_id`)).rows.map(
      (row: { tenant: string; controller_id: string; at: number }) => [row.tenant, row.controller_id, row.at],
    );

  it('stores every device of a flush with its time, whatever characters its id has, and never moves a time back', async () => {
    const recorder = new LastSeenRecorder(pool);
    const odd = ['quote"d', 'back\\slash', 'comma,brace{}', 'new\nline', 'tab\there', 'ünï €', '😀', 'NULL', ''];
    odd.forEach((id, i) => recorder.touch('acme', id, 1_764_000_000_000 + i));
    recorder.touch('other', 'dev-1', 1_764_000_000_123);
    expect(await recorder.flush()).toBe(odd.length + 1);
    const expected = [...odd.map((id, i) => ['acme', id, 1_764_000_000_000 + i]), ['other', 'dev-1', 1_764_000_000_123]];
    expect(await stored()).toEqual(expect.arrayContaining(expected));
    expect(await stored()).toHaveLength(expected.length);

    recorder.touch('acme', 'NULL', 1_700_000_000_000);
    recorder.touch('other', 'dev-1', 1_764_000_009_000);
    expect(await recorder.flush()).toBe(2);
    const after = new Map((await stored()).map(([tenant, id, at]) => [`${tenant}/${id}`, at]));
    expect(after.get('acme/NULL')).toBe(1_764_000_000_000 + odd.indexOf('NULL'));
    expect(after.get('other/dev-1')).toBe(1_764_000_009_000);
  });
});
