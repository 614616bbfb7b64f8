import fc from 'fast-check';
import { ACTION_STATUSES } from '@rollgate/rollout-domain';
import { actionIdOfStream, actionTransitionOf, findRange, positionInRange, STATUS_CHANGING_ACTION_EVENTS } from './action-transition';

describe('action events as counter transitions', () => {
  it('reads the transition each action event records', () => {
    expect(actionTransitionOf('action-created', { status: 'SCHEDULED' })).toBeUndefined();
    expect(actionTransitionOf('action-retrieved', { at: 1 })).toEqual({ from: 'SCHEDULED', to: 'RETRIEVED' });
    expect(actionTransitionOf('action-confirmed', { at: 1 })).toEqual({ from: 'WAIT_FOR_CONFIRMATION', to: 'RUNNING' });
    expect(actionTransitionOf('action-feedback-received', { from: 'RUNNING', status: 'FINISHED' })).toEqual({ from: 'RUNNING', to: 'FINISHED' });
    expect(actionTransitionOf('action-attempt-failed', { from: 'RUNNING' })).toEqual({ from: 'RUNNING', to: 'SCHEDULED' });
    expect(actionTransitionOf('action-cancel-requested', { from: 'RUNNING' })).toEqual({ from: 'RUNNING', to: 'CANCELING' });
    expect(actionTransitionOf('action-canceled', { from: 'CANCELING' })).toEqual({ from: 'CANCELING', to: 'CANCELED' });
    expect(actionTransitionOf('action-cancel-rejected', { from: 'CANCELING' })).toEqual({ from: 'CANCELING', to: 'CANCEL_REJECTED' });
    expect(actionTransitionOf('action-timed-out', { from: 'RUNNING' })).toEqual({ from: 'RUNNING', to: 'TIMED_OUT' });
    expect(actionTransitionOf('action-rejected', { from: 'SCHEDULED' })).toEqual({ from: 'SCHEDULED', to: 'CANCELED' });
    expect(actionTransitionOf('action-confirmation-denied', {})).toBeUndefined();
  });

  it('names every event that can move a counter, so readers may skip the others unread', () => {
    const full = { from: 'RUNNING', status: 'FINISHED', at: 1 };
    for (const name of STATUS_CHANGING_ACTION_EVENTS) expect(actionTransitionOf(name, full)).toBeDefined();
    for (const name of ['action-created', 'action-confirmation-denied', 'action-updated', 'group-started', 'anything']) {
      expect(STATUS_CHANGING_ACTION_EVENTS.has(name)).toBe(false);
      expect(actionTransitionOf(name, full)).toBeUndefined();
    }
  });

  it('ignores malformed payloads instead of throwing', () => {
    for (const data of [undefined, null, {}, { from: 3 }, 'text']) {
      expect(actionTransitionOf('action-feedback-received', data)).toBeUndefined();
      expect(actionTransitionOf('action-canceled', data)).toBeUndefined();
    }
    expect(ACTION_STATUSES.length).toBeGreaterThan(0);
  });

  it('maps streams and id ranges', () => {
    expect(actionIdOfStream('action-42')).toBe(42);
    expect(actionIdOfStream('action-042')).toBeUndefined();
    expect(actionIdOfStream('rollout-42')).toBeUndefined();
    expect(positionInRange({ firstActionId: 100, size: 10 }, 109)).toBe(9);
    expect(positionInRange({ firstActionId: 100, size: 10 }, 110)).toBeUndefined();
    expect(positionInRange({ firstActionId: 100, size: 10 }, 99)).toBeUndefined();
  });
});

describe('action id -> group by contiguous id ranges', () => {
  it('property: binary search finds exactly the range a linear scan finds', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(20), fc.nat(30)), { maxLength: 40 }), fc.nat(2000), (blocks, probe) => {
      // Reserved blocks one after the other, with gaps (failed reservations) and empty groups.
      let next = 1;
      const ranges = blocks.map(([gap, size], i) => {
        next += gap;
        const range = { groupId: `g${i}`, firstActionId: next, size };
        next += size;
        return range;
      });
      const linear = ranges.find((r) => probe >= r.firstActionId && probe < r.firstActionId + r.size);
      expect(findRange(ranges, probe)).toBe(linear);
    }));
  });
});
