import fc from 'fast-check';
import { ACTION_STATUSES } from '@rollgate/rollout-domain';
import { bucketOf, groupPerStatus, PER_STATUS_KEYS, rolloutPerStatus, statusAfter, type GroupProgress } from './rollout-progress';

const group = (overrides: Partial<GroupProgress>): GroupProgress => ({
  total_targets: 10, started: false, closed: false, actions_scheduled: 0, actions_running: 0, actions_finished: 0, actions_error: 0, actions_cancelled: 0, ...overrides,
});

describe('rollout progress', () => {
  it('maps action statuses to hawkBit keys (TIMED_OUT is an error, CANCELED cancelled, open ones running)', () => {
    expect(ACTION_STATUSES.map((s) => [s, bucketOf(s)])).toEqual([
      ['SCHEDULED', 'scheduled'], ['RETRIEVED', 'running'], ['DOWNLOAD', 'running'], ['DOWNLOADED', 'running'], ['RUNNING', 'running'],
      ['WAIT_FOR_CONFIRMATION', 'running'], ['WARNING', 'running'], ['CANCELING', 'running'], ['CANCELED', 'cancelled'],
      ['CANCEL_REJECTED', 'running'], ['FINISHED', 'finished'], ['ERROR', 'error'], ['TIMED_OUT', 'error'],
    ]);
  });

  it('knows the status each action event leaves its action in, as the action decider evolves it', () => {
    expect(statusAfter('action-created', { status: 'WAIT_FOR_CONFIRMATION' })).toBe('WAIT_FOR_CONFIRMATION');
    expect(statusAfter('action-feedback-received', { status: 'FINISHED' })).toBe('FINISHED');
    expect(statusAfter('action-retrieved', {})).toBe('RETRIEVED');
    expect(statusAfter('action-confirmed', {})).toBe('RUNNING');
    expect(statusAfter('action-attempt-failed', {})).toBe('SCHEDULED');
    expect(statusAfter('action-cancel-requested', {})).toBe('CANCELING');
    expect(statusAfter('action-canceled', {})).toBe('CANCELED');
    expect(statusAfter('action-rejected', {})).toBe('CANCELED');
    expect(statusAfter('action-cancel-rejected', {})).toBe('CANCEL_REJECTED');
    expect(statusAfter('action-timed-out', {})).toBe('TIMED_OUT');
    expect(statusAfter('action-confirmation-denied', {})).toBeUndefined();
  });

  it('counts untouched members as notstarted before the group starts, scheduled after, cancelled once stopped', () => {
    expect(groupPerStatus(group({}))).toEqual({ notstarted: 10, scheduled: 0, running: 0, finished: 0, error: 0, cancelled: 0 });
    expect(groupPerStatus(group({ started: true, actions_running: 2, actions_finished: 1 }))).toEqual({ notstarted: 0, scheduled: 7, running: 2, finished: 1, error: 0, cancelled: 0 });
    expect(groupPerStatus(group({ started: true, closed: true, actions_running: 2, actions_cancelled: 1 }))).toEqual({ notstarted: 0, scheduled: 0, running: 2, finished: 0, error: 0, cancelled: 8 });
    expect(groupPerStatus(group({ closed: true }))).toEqual({ notstarted: 0, scheduled: 0, running: 0, finished: 0, error: 0, cancelled: 10 });
  });

  it('always accounts for every member exactly once, per group and summed over a rollout', () => {
    const counters = fc.record({ started: fc.boolean(), closed: fc.boolean(), scheduled: fc.nat(50), running: fc.nat(50), finished: fc.nat(50), error: fc.nat(50), cancelled: fc.nat(50), untouched: fc.nat(50) });
    fc.assert(fc.property(fc.array(counters, { maxLength: 8 }), (groups) => {
      const rows = groups.map((c) => group({
        total_targets: c.scheduled + c.running + c.finished + c.error + c.cancelled + c.untouched, started: c.started, closed: c.closed,
        actions_scheduled: c.scheduled, actions_running: c.running, actions_finished: c.finished, actions_error: c.error, actions_cancelled: c.cancelled,
      }));
      for (const row of rows) {
        const counts = groupPerStatus(row);
        expect(PER_STATUS_KEYS.reduce((sum, key) => sum + counts[key], 0)).toBe(row.total_targets);
        expect(counts.finished).toBe(row.actions_finished);
        expect(counts.error).toBe(row.actions_error);
      }
      const total = rolloutPerStatus(rows);
      expect(PER_STATUS_KEYS.reduce((sum, key) => sum + total[key], 0)).toBe(rows.reduce((sum, row) => sum + row.total_targets, 0));
    }));
  });
});
