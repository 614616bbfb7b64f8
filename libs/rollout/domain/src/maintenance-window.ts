import { DomainError, nextCronTime, parseCron, parseTimeZone, type CronSchedule, type TimeZone } from '@rollgate/shared-domain';

/** As hawkBit takes it: `{ schedule: "<cron>", duration: "HH:mm:ss", timezone: "+00:00" }`. */
export interface MaintenanceWindowSpec {
  schedule: string;
  duration: string;
  timezone: string;
}

export interface MaintenanceWindow {
  schedule: CronSchedule;
  durationMs: number;
  zone: TimeZone;
}

export interface MaintenanceWindowStatus {
  /** Inside a window now: the device may install. */
  available: boolean;
  /** When the current window closes (if available). */
  endsAt?: number;
  /** When the next window opens (if not available). */
  nextStartsAt?: number;
}

export function parseMaintenanceWindow(spec: MaintenanceWindowSpec): MaintenanceWindow {
  const duration = /^(\d{1,3}):([0-5]\d):([0-5]\d)$/.exec(spec.duration.trim());
  if (!duration) throw new DomainError('invalid_maintenance_window', `duration "${spec.duration}" is not HH:mm:ss`);
  const durationMs = ((Number(duration[1]) * 60 + Number(duration[2])) * 60 + Number(duration[3])) * 1000;
  if (durationMs <= 0) throw new DomainError('invalid_maintenance_window', 'a maintenance window needs a positive duration');
  try {
    return { schedule: parseCron(spec.schedule), durationMs, zone: parseTimeZone(spec.timezone) };
  } catch (error) {
    throw new DomainError('invalid_maintenance_window', (error as Error).message, { spec: { ...spec } });
  }
}

/**
 * A window is open at `now` when some firing `f` satisfies f ≤ now < f + duration, i.e. the first firing
 * after `now - duration` is not after `now`. No scanning backwards in time.
 */
export function maintenanceWindowStatus(window: MaintenanceWindow, now: number): MaintenanceWindowStatus {
  const opened = nextCronTime(window.schedule, now - window.durationMs, window.zone);
  if (opened !== undefined && opened <= now) return { available: true, endsAt: opened + window.durationMs };
  return { available: false, nextStartsAt: nextCronTime(window.schedule, now, window.zone) };
}
