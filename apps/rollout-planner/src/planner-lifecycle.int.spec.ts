import { CATALOG_PROJECTIONS } from '@rollgate/read-models';
import { EventStore, rebuildProjection, type Projection } from '@rollgate/event-store';
import { connectTestNats, createTestDatabase, deleteTestStreams, testBusNames, testPool } from '@rollgate/testing';
import { ADMIN_PASSWORD, basic, startPlanner } from '../test/planner.harness';

jest.setTimeout(120_000);

describe('rollout-planner across restarts: bootstrap, read models, body limits', () => {
  it('bootstraps once, keeps a changed password on restart, resumes read models, and rebuilds them to the same rows', async () => {
    const db = await createTestDatabase('rg_planner');
    const names = testBusNames();
    try {
      const first = await startPlanner({ BODY_LIMIT_BYTES: '4096' }, { db, names });
      const admin = basic('acme\\admin', ADMIN_PASSWORD);
      expect((await first.request('POST', '/rest/v1/targets', { auth: admin, body: [{ controllerId: 'dev-1' }, { controllerId: 'dev-2' }] })).status).toBe(201);
      const huge = Array.from({ length: 200 }, (_, i) => ({ controllerId: `bulk-${i}`, description: 'x'.repeat(40) }));
      expect(await first.request('POST', '/rest/v1/targets', { auth: admin, body: huge })).toMatchObject({ status: 413, body: { code: 'payload_too_large' } });
      expect((await first.request('PUT', '/rest/v1/system/users/admin', { auth: admin, body: { password: 'a-new-admin-password' } })).status).toBe(200);
      await first.close();

      const second = await startPlanner({}, { db, names });
      try {
        expect((await second.request('GET', '/rest/v1/targets', { auth: admin })).status).toBe(401);
        const renewed = basic('acme\\admin', 'a-new-admin-password');
        const page = await second.request('GET', '/rest/v1/targets', { auth: renewed });
        expect(page.body).toMatchObject({ total: 2, content: [{ controllerId: 'dev-1' }, { controllerId: 'dev-2' }] });
      } finally {
        await second.close();
      }

      // The local profile (rollgate up from another checkout, whose .data holds another password) takes the
      // administrator back to the bootstrap password; the change is in the user's stream like any other.
      const third = await startPlanner({ ROLLGATE_BOOTSTRAP_ADMIN_RESET: 'true' }, { db, names });
      try {
        expect((await third.request('GET', '/rest/v1/targets', { auth: admin })).status).toBe(200);
        expect((await third.request('GET', '/rest/v1/targets', { auth: basic('acme\\admin', 'a-new-admin-password') })).status).toBe(401);
        const pool = testPool(db.url);
        const user = await new EventStore(pool).readStream('acme', 'user-acme-admin').finally(() => pool.end());
        expect(user.map((e) => [e.type.split('.')[3], (e.data as { createdBy?: string; by?: string }).createdBy ?? (e.data as { by?: string }).by])).toEqual([
          ['user-created', 'system:bootstrap'], ['user-password-changed', 'admin'], ['user-password-changed', 'system:bootstrap'],
        ]);
      } finally {
        await third.close();
      }

      const pool = testPool(db.url);
      try {
        const targets = CATALOG_PROJECTIONS.find((p) => p.name === 'targets') as Projection;
        const before = await pool.query('SELECT tenant, controller_id, name, security_token, created_at FROM targets ORDER BY controller_id');
        const result = await rebuildProjection(pool, new EventStore(pool), targets);
        expect(result.eventsReplayed).toBeGreaterThan(0);
        const after = await pool.query('SELECT tenant, controller_id, name, security_token, created_at FROM targets ORDER BY controller_id');
        expect(after.rows).toEqual(before.rows);
      } finally {
        await pool.end();
      }
    } finally {
      const nc = await connectTestNats();
      await deleteTestStreams(nc, names);
      await nc.close();
      await db.drop();
    }
  });
});
