import { progressBar, renderWatch, watchOutcome, type WatchState } from './rollout-watch';

const state = (status: string, stopReason?: string): WatchState => ({
  id: 'r1', name: 'fw-2.1', status, stopReason, totalTargets: 10,
  totalTargetsPerStatus: { finished: 4, running: 2, scheduled: 1, error: 0, cancelled: 0, notstarted: 3 },
  groups: [
    { index: 0, name: 'canary', status: 'finished', totalTargets: 2, totalTargetsPerStatus: { finished: 2 }, gate: 'canary_gate PASS' },
    { index: 1, name: 'wave-1', status: 'running', totalTargets: 8, totalTargetsPerStatus: { finished: 2, running: 2, scheduled: 1, notstarted: 3 } },
  ],
});

describe('rollouts watch', () => {
  it('exits 0 when finished, 1 when stopped, rolled back or refused, and keeps watching otherwise', () => {
    expect(watchOutcome(state('finished'))).toEqual({ done: true, exitCode: 0, message: 'rollout fw-2.1 finished' });
    expect(watchOutcome(state('stopped', 'rollback'))).toEqual({ done: true, exitCode: 1, message: 'rollout fw-2.1 was rolled back (rollback)' });
    expect(watchOutcome(state('stopping', 'emergency'))).toEqual({ done: true, exitCode: 1, message: 'rollout fw-2.1 stopped (emergency)' });
    expect(watchOutcome(state('approval_denied'))).toMatchObject({ done: true, exitCode: 1 });
    for (const status of ['creating', 'ready', 'waiting_for_approval', 'starting', 'running', 'paused']) expect(watchOutcome(state(status))).toEqual({ done: false });
  });

  it('draws finished, failed and in-flight shares of a group as one bar', () => {
    expect(progressBar({ finished: 5, error: 1, running: 2 }, 12)).toBe('[##########xx~~~~........]');
    expect(progressBar({}, 0)).toBe('[                        ]');
  });

  it('shows per group the status, bar, percentage, counts and gate verdict', () => {
    const frame = renderWatch(state('running'), new Date('2026-12-01T10:00:00Z')).split('\n');
    expect(frame[0]).toBe('Rollout fw-2.1 (r1)   status: running   2026-12-01T10:00:00.000Z');
    expect(frame[2]).toMatch(/^ {2}0 canary\s+finished\s+\[#{24}\] 100%\s+2\s+0\s+0\s+0\s+0\s+0 {2}canary_gate PASS$/);
    expect(frame[3]).toMatch(/^ {2}1 wave-1\s+running\s+\[#{6}~{6}\.{12}\]\s+25%\s+2\s+2\s+1\s+0\s+0\s+3 {2}-$/);
    expect(frame[4]).toMatch(/^ {2}total\s+\[#{10}~{5}\.{9}\]\s+40%/);
  });
});
