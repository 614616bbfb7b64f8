import { PayloadGuard } from './payload-guard';

describe('payload guard at the bus edge', () => {
  const guard = new PayloadGuard();

  it('accepts payloads that keep their contract, and types without a published contract', () => {
    expect(guard.problem('io.rollgate.rollout.rollout-start-scheduled.v1', { startAt: 1_700_000_000_000, by: 'admin', at: 1 })).toBeUndefined();
    expect(guard.problem('io.rollgate.rollout.group-started.v1', { size: 10, released: 4, at: 1 })).toBeUndefined();
    expect(guard.problem('io.rollgate.rollout.some-future-event.v1', { anything: true })).toBeUndefined();
  });

  it('names what is wrong with a payload that breaks its contract', () => {
    expect(guard.problem('io.rollgate.rollout.rollout-start-scheduled.v1', { by: 'admin', at: 1 })).toMatch(/startAt/);
    expect(guard.problem('io.rollgate.rollout.group-started.v1', { size: -1, at: 1 })).toMatch(/\/size/);
    expect(guard.problem('io.rollgate.rollout.rollout-group-triggered.v1', 'text')).toBe('its data is not an object');
    expect(guard.problem('io.rollgate.rollout.rollout-group-triggered.v1', null)).toBe('its data is not an object');
  });
});
