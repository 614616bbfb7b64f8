import { loadSchedulerSettings } from './config';
import { freezeAt } from './engine/scheduler-settings';

describe('group-scheduler settings', () => {
  it('defaults: no change budget, no freeze windows, 250 ms timer polls, one hour until a device is offline, a minute to fill a dynamic group', () => {
    expect(loadSchedulerSettings({})).toEqual({ changeBudget: undefined, freezeWindows: [], timerPollMs: 250, pollingOverdueMs: 3_600_000, dynamicFlushMs: 60_000 });
  });

  it('names every bad variable at once', () => {
    expect(() => loadSchedulerSettings({ ROLLGATE_CHANGE_BUDGET: '0', ROLLGATE_TIMER_POLL_MS: 'fast', ROLLGATE_FREEZE_WINDOWS: '{"schedule":1}' })).toThrow(
      /ROLLGATE_FREEZE_WINDOWS is not a JSON array[\s\S]*ROLLGATE_CHANGE_BUDGET is "0"[\s\S]*ROLLGATE_TIMER_POLL_MS is "fast"/,
    );
    expect(() => loadSchedulerSettings({ ROLLGATE_FREEZE_WINDOWS: '[{"schedule":"not cron","duration":"01:00:00","timezone":"+00:00"}]' })).toThrow(/ROLLGATE_FREEZE_WINDOWS/);
  });

  it('freezes inside a window (nothing starts until it closes) and not outside', () => {
    // Every day 22:00-06:00 UTC.
    const settings = loadSchedulerSettings({ ROLLGATE_FREEZE_WINDOWS: '[{"schedule":"0 0 22 * * ?","duration":"08:00:00","timezone":"+00:00"}]', ROLLGATE_CHANGE_BUDGET: '500' });
    expect(settings.changeBudget).toBe(500);
    expect(freezeAt(settings, Date.UTC(2026, 0, 5, 23, 30))).toEqual({ frozen: true, until: Date.UTC(2026, 0, 6, 6, 0) });
    expect(freezeAt(settings, Date.UTC(2026, 0, 5, 12, 0))).toEqual({ frozen: false });
  });
});
