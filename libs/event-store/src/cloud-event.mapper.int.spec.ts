import { decodeCloudEvent } from '@rollgate/contracts';
import { freshLog, wholeReadableLog, type LogFixture } from '../test/fixtures';
import { LOG_START, toCloudEvent, type EventMetadata, type NewEvent } from './index';

describe('CloudEvents rendered by PostgreSQL for the relay', () => {
  let log: LogFixture;
  beforeAll(async () => {
    log = await freshLog();
  });
  afterAll(() => log.close());

  it('equal toCloudEvent for every shape of data and metadata', async () => {
    const events: NewEvent[] = [
      { type: 'io.rollgate.rollout.rollout-created.v1', data: { name: 'eu canary', groups: [{ size: 50 }, { size: 4950 }], ratio: 0.125, tags: [] } },
      {
        type: 'io.rollgate.rollout.group-started.v2',
        data: { note: 'ünïcödé ✓ "quoted" \\ back\nslash', nested: { deep: { deeper: [1, null, true] } } },
        metadata: { source: 'rollgate/group-scheduler', correlationId: 'c-1', causationId: 'e-0', actor: 'alice', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      },
      // Non-string metadata members are not CloudEvent extensions: both renderings leave them out.
      // (as an untyped writer might send it; the type system would refuse it)
      { type: 'io.rollgate.target.target-created.v1', data: {}, metadata: { source: 'rollgate/rollout-planner', correlationId: 42, actor: null, extra: { any: 'thing' } } as unknown as EventMetadata },
      { type: 'io.rollgate.target.target-deleted.v1', data: { big: 12345678901234, small: -0.5, e: 1e-7 } },
    ];
    await log.store.append('acme', 'rollout-42', 0, events.slice(0, 2));
    await log.store.append('tenant-b', 'target-7', 0, events.slice(2));

    const stored = await wholeReadableLog(log.store);
    const rendered = await log.store.readCloudEvents(LOG_START, 100);
    expect(rendered.map((r) => r.id)).toEqual(stored.map((e) => e.id));
    rendered.forEach((record, i) => {
      const fromSql = decodeCloudEvent(record.cloudEvent);
      expect(fromSql).toEqual(JSON.parse(JSON.stringify(toCloudEvent(stored[i]))));
      expect(record.hash.equals(stored[i].hash)).toBe(true);
      expect(record.traceparent).toBe(stored[i].metadata.traceparent ?? undefined);
    });
  });
});
