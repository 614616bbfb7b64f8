import { maintenanceWindowStatus, parseMaintenanceWindow, type MaintenanceWindow, type MaintenanceWindowSpec } from '@rollgate/rollout-domain';

/** group-scheduler's own settings (environment, see config.ts). */
export interface SchedulerSettings {
  /** devices updating at once across all rollouts of a tenant; undefined = no budget */
  changeBudget?: number;
  /** windows (cron + duration, as maintenance windows) during which no group starts and nothing is released */
  freezeWindows: MaintenanceWindow[];
  /** how often the timer loop looks for due timers at most (it also wakes at the next due time) */
  timerPollMs: number;
  /** a device that has not polled within this is offline (skip_and_queue: counted, never waited for) */
  pollingOverdueMs: number;
  /** dynamic rollouts: joiners that do not fill a group wait at most this long for their (smaller) group */
  dynamicFlushMs: number;
}

export function parseFreezeWindows(specs: readonly MaintenanceWindowSpec[]): MaintenanceWindow[] {
  return specs.map(parseMaintenanceWindow);
}

/** Inside a freeze window: nothing new starts until `until`. */
export function freezeAt(settings: Pick<SchedulerSettings, 'freezeWindows'>, now: number): { frozen: boolean; until?: number } {
  let until: number | undefined;
  for (const window of settings.freezeWindows) {
    const status = maintenanceWindowStatus(window, now);
    if (status.available) until = Math.max(until ?? 0, status.endsAt ?? now);
  }
  return until === undefined ? { frozen: false } : { frozen: true, until };
}
