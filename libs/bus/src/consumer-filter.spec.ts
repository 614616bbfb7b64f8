import type { BusNames } from '@rollgate/contracts';
import { consumerFilterFor, subjectKey, supportsMultiFilter } from './consumer-filter';

const names: BusNames = { subjectRoot: 'rollgate', eventsStream: 'E', telemetryStream: 'T' };
const STARTED = 'io.rollgate.rollout.group-started.v1';
const FINISHED = 'io.rollgate.rollout.group-finished.v1';
const GATE = 'io.rollgate.health.gate-evaluated.v1';

describe('consumerFilterFor', () => {
  it('filters each handled event exactly when the server takes several filters', () => {
    expect(consumerFilterFor(names, [STARTED, GATE, FINISHED, 'io.rollgate.rollout.group-started.v2'], true)).toEqual({
      subjects: ['rollgate.evt.*.health.gate-evaluated', 'rollgate.evt.*.rollout.group-finished', 'rollgate.evt.*.rollout.group-started'],
      handledKeys: new Set(['rollout.group-started', 'health.gate-evaluated', 'rollout.group-finished']),
    });
  });

  it('on NATS 2.9 filters one handled event exactly and one handled aggregate by its wildcard', () => {
    expect(consumerFilterFor(names, [STARTED], false)?.subjects).toEqual(['rollgate.evt.*.rollout.group-started']);
    expect(consumerFilterFor(names, [STARTED, FINISHED], false)?.subjects).toEqual(['rollgate.evt.*.rollout.*']);
  });

  it('on NATS 2.9 keeps one consumer over all events for several aggregates, skipping unhandled ones by subject', () => {
    const filter = consumerFilterFor(names, [STARTED, GATE], false);
    expect(filter?.subjects).toEqual(['rollgate.evt.>']);
    expect(filter?.handledKeys.has('action.action-created')).toBe(false);
    expect(filter?.handledKeys.has('health.gate-evaluated')).toBe(true);
  });

  it('does not filter when there are no types or one is not a Rollgate event type', () => {
    expect(consumerFilterFor(names, [], true)).toBeUndefined();
    expect(consumerFilterFor(names, [STARTED, 'io.rollgate.rollout.*'], true)).toBeUndefined();
  });
});

describe('subjectKey', () => {
  it('is the aggregate and event of a subject, whatever the root', () => {
    expect(subjectKey('rollgate.evt.acme.action.action-created')).toBe('action.action-created');
    expect(subjectKey('a.b.evt.acme.rollout.group-started')).toBe('rollout.group-started');
  });
});

describe('supportsMultiFilter', () => {
  it('is true from NATS 2.10 on', () => {
    expect(['2.9.10', '2.9.25', '1.4.0', '', undefined].map(supportsMultiFilter)).toEqual([false, false, false, false, false]);
    expect(['2.10.0', '2.11.3', 'v2.10.7', '3.0.0'].map(supportsMultiFilter)).toEqual([true, true, true, true]);
  });
});
