import type { CloudEvent } from '@rollgate/contracts';
import { runMigrations } from '@rollgate/event-store';
import { createTestDatabase, testPool, type TestDatabase } from '@rollgate/testing';
import type { Pool } from 'pg';
import { SCHEDULER_MIGRATIONS } from '../migrations/scheduler.migrations';
import { DynamicTargetPrefilter } from './dynamic-target.prefilter';

describe('DynamicTargetPrefilter against PostgreSQL', () => {
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase('rg_sched_prefilter');
    await runMigrations(db.url, SCHEDULER_MIGRATIONS);
    pool = testPool(db.url, 2);
  }, 30_000);
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  const event = (tenant: string, type: string) => ({ id: '0190a0a0-0000-7000-8000-000000000001', tenant, type }) as CloudEvent;

  it('given no dynamic rollout of the tenant, then its target events are skipped and everything else is handled', async () => {
    const prefilter = new DynamicTargetPrefilter(pool);
    await pool.query(`INSERT INTO scheduler_dynamic_rollouts (tenant, rollout_id, filter, created_at) VALUES ('other', 'r1', 'name==*', 1)`);

    expect(await prefilter.skip(event('acme', 'io.rollgate.target.target-created.v1'))).toBe(true);
    expect(await prefilter.skip(event('acme', 'io.rollgate.target.target-attributes-updated.v1'))).toBe(true);
    expect(await prefilter.skip(event('acme', 'io.rollgate.rollout.rollout-starting.v1'))).toBe(false);
    // another tenant's dynamic rollout
    expect(await prefilter.skip(event('other', 'io.rollgate.target.target-created.v1'))).toBe(false);
  });

  it('given a dynamic rollout registered since, when the next target event comes, then it is handled', async () => {
    const prefilter = new DynamicTargetPrefilter(pool);
    expect(await prefilter.skip(event('late', 'io.rollgate.target.target-created.v1'))).toBe(true);
    await pool.query(`INSERT INTO scheduler_dynamic_rollouts (tenant, rollout_id, filter, created_at) VALUES ('late', 'r2', 'name==*', 1)`);
    expect(await prefilter.skip(event('late', 'io.rollgate.target.target-created.v1'))).toBe(false);
  });
});
