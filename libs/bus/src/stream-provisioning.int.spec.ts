import { jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/nats-core';
import { connectTestNats, deleteTestStreams, testBusNames } from '@rollgate/testing';
import { provisionStreams } from './stream-provisioning';

describe('provisionStreams', () => {
  const names = testBusNames();
  let nc: NatsConnection;

  beforeAll(async () => {
    nc = await connectTestNats();
  });

  afterAll(async () => {
    await deleteTestStreams(nc, names);
    await nc.close();
  });

  it('creates the events stream (file, limits, 2-minute dedup) and the age-limited telemetry stream', async () => {
    const { events, telemetry } = await provisionStreams(nc, names);

    expect(events.config).toMatchObject({
      name: names.eventsStream,
      subjects: [`${names.subjectRoot}.evt.>`],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      duplicate_window: nanos(120_000),
      max_age: nanos(30 * 24 * 3600_000),
    });
    expect(telemetry.config).toMatchObject({ name: names.telemetryStream, subjects: [`${names.subjectRoot}.tel.>`], max_age: nanos(24 * 3600_000) });
  });

  it('is idempotent and applies changed limits to existing streams without losing messages', async () => {
    await provisionStreams(nc, names);
    await nc.request(`${names.subjectRoot}.evt.acme.test.thing-happened`, 'x');

    const { events, telemetry } = await provisionStreams(nc, names, { eventsMaxAgeMs: 3600_000, eventsMaxBytes: 1_000_000, telemetryMaxAgeMs: 60_000 });

    expect(events.config.max_age).toBe(nanos(3600_000));
    expect(events.config.max_bytes).toBe(1_000_000);
    expect(telemetry.config.max_age).toBe(nanos(60_000));
    expect(telemetry.config.duplicate_window).toBe(nanos(60_000));
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info(names.eventsStream)).state.messages).toBe(1);
  });
});
