import fc from 'fast-check';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../testing/src/test-database';
import { compileFilter } from './filter.compiler';
import type { FilterTarget } from './filter.fields';
import { filterArb, fleetArb } from './filter.fixtures';

/**
 * The in-memory predicate and the SQL WHERE must select exactly the same targets: random filters over a
 * random fleet, on the real PostgreSQL.
 */
describe('target filter on PostgreSQL', () => {
  let db: TestDatabase;
  let client: Client;
  const [fleet] = fc.sample(fleetArb(1500, 1500), { seed: 20_240_601, numRuns: 1 }) as FilterTarget[][];

  beforeAll(async () => {
    db = await createTestDatabase('rg_filter');
    client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(`
      CREATE TABLE targets (
        controller_id text PRIMARY KEY, name text, description text, created_at bigint, created_by text,
        last_modified_at bigint, last_modified_by text, update_status text, address text, last_target_query bigint,
        attributes jsonb NOT NULL DEFAULT '{}', metadata jsonb NOT NULL DEFAULT '{}', target_group text, tags text[] NOT NULL DEFAULT '{}',
        assigned_ds_name text, assigned_ds_version text, installed_ds_name text, installed_ds_version text,
        target_type_key text, target_type_name text, device_type text, region text, site text)`);
    const rows = fleet.map((t) => ({
      controller_id: t.controllerId, name: t.name, description: t.description ?? null, created_at: t.createdAt,
      last_target_query: t.lastTargetQuery ?? null, update_status: t.updateStatus, attributes: t.attributes, metadata: t.metadata,
      tags: t.tags, assigned_ds_name: t.assignedDistributionSet?.name ?? null, assigned_ds_version: t.assignedDistributionSet?.version ?? null,
      target_type_key: t.targetType?.key ?? null, target_type_name: t.targetType?.name ?? null, device_type: t.deviceType, region: t.region, site: t.site ?? null,
    }));
    await client.query('INSERT INTO targets SELECT * FROM jsonb_populate_recordset(NULL::targets, $1::jsonb)', [JSON.stringify(rows)]);
  });

  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('stored the whole fleet', async () => {
    const { rows } = await client.query('SELECT count(*)::int AS n, sum(cardinality(tags))::int AS tags FROM targets');
    expect(rows[0]).toEqual({ n: fleet.length, tags: fleet.reduce((n, t) => n + t.tags!.length, 0) });
  });

  it('property: predicate and SQL select the same rows', async () => {
    let nonTrivial = 0;
    await fc.assert(fc.asyncProperty(filterArb, async (query) => {
      const filter = compileFilter(query);
      const expected = fleet.filter(filter.matches).map((t) => t.controllerId).sort();
      const { where, values } = filter.toSql({ alias: 't', firstParameter: 2 });
      const { rows } = await client.query(`SELECT controller_id FROM targets t WHERE t.controller_id <> $1 AND ${where} ORDER BY controller_id COLLATE "C"`, ['-', ...values]);
      expect(rows.map((r: { controller_id: string }) => r.controller_id)).toEqual(expected);
      if (expected.length > 0 && expected.length < fleet.length) nonTrivial++;
    }), { numRuns: 400 });
    // The property is only worth something if most filters select some but not all targets.
    expect(nonTrivial).toBeGreaterThan(150);
  });
});
