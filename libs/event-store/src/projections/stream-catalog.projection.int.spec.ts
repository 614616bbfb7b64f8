import { freshLog, testEvent, type LogFixture } from '../../test/fixtures';
import { ProjectionRunner, rebuildProjection, streamCatalogProjection } from '../index';

describe('stream-catalog projection', () => {
  let log: LogFixture;
  beforeAll(async () => {
    log = await freshLog();
  });
  afterAll(() => log.close());

  const rows = async () =>
    (await log.pool.query(`SELECT tenant, stream_id, aggregate, version, event_count, last_event_type FROM stream_catalog ORDER BY tenant, stream_id`)).rows;

  it('lists every stream with its aggregate, version, count and latest event type, live and rebuilt alike', async () => {
    const runner = new ProjectionRunner(log.pool, log.store, streamCatalogProjection, { batchSize: 4, idleMs: 10 });
    await runner.start();
    await log.store.append('acme', 'rollout-1', 0, [testEvent(1), testEvent(2), { type: 'io.rollgate.rollout.rollout-started.v1', data: {} }]);
    await log.store.append('acme', 'target-7', 0, [{ type: 'io.rollgate.target.target-created.v1', data: {} }]);
    await log.store.append('other', 'rollout-1', 0, [testEvent(3)]);
    await log.store.append('acme', 'rollout-1', 3, [{ type: 'io.rollgate.rollout.rollout-paused.v1', data: {} }]);
    await runner.catchUp();

    const expected = [
      { tenant: 'acme', stream_id: 'rollout-1', aggregate: 'rollout', version: 4, event_count: 4, last_event_type: 'io.rollgate.rollout.rollout-paused.v1' },
      { tenant: 'acme', stream_id: 'target-7', aggregate: 'target', version: 1, event_count: 1, last_event_type: 'io.rollgate.target.target-created.v1' },
      { tenant: 'other', stream_id: 'rollout-1', aggregate: 'rollout', version: 1, event_count: 1, last_event_type: 'io.rollgate.test.thing-happened.v1' },
    ];
    expect(await rows()).toEqual(expected);
    await runner.stop();

    await rebuildProjection(log.pool, log.store, streamCatalogProjection);
    expect(await rows()).toEqual(expected);
  });
});
