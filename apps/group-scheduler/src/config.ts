import type { MaintenanceWindowSpec } from '@rollgate/rollout-domain';
import type { ServiceDefaults } from '@rollgate/service-kit';
import { parseFreezeWindows, type SchedulerSettings } from './engine/scheduler-settings';

/**
 * group-scheduler: running rollouts: group cascade, pacing, timers, emergency stop and rollback. Its name is also its durable consumer's name on the events stream; every other
 * setting comes from the environment (see libs/service-kit, service-config.ts).
 */
export const GROUP_SCHEDULER_DEFAULTS: ServiceDefaults = { service: 'group-scheduler', port: 8083 };

export const SCHEDULER_SETTINGS = Symbol('rollgate.scheduler-settings');

/**
 * The scheduler's own variables, on top of the service kit's:
 * - ROLLGATE_CHANGE_BUDGET: devices updating at once across all rollouts of a tenant (unset: no budget);
 * - ROLLGATE_FREEZE_WINDOWS: JSON array of `{ schedule, duration, timezone }` (as maintenance windows) during
 *   which no group starts and nothing is released;
 * - ROLLGATE_TIMER_POLL_MS: how often due timers are looked for (default 250);
 * - ROLLGATE_POLLING_OVERDUE_MS: when a device counts as offline (default 1 h; hawkBit's pollingOverdueTime);
 * - ROLLGATE_DYNAMIC_FLUSH_MS: how long targets that joined a dynamic rollout wait to fill a group (default 60 s).
 * Throws naming every bad one.
 */
export function loadSchedulerSettings(env: NodeJS.ProcessEnv = process.env): SchedulerSettings {
  const problems: string[] = [];
  const whole = (name: string, fallback: number | undefined, min: number): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^[0-9]+$/.test(raw) || Number(raw) < min) {
      problems.push(`${name} is "${raw}", must be a whole number >= ${min}`);
      return fallback;
    }
    return Number(raw);
  };
  let freezeWindows: SchedulerSettings['freezeWindows'] = [];
  const rawFreeze = env.ROLLGATE_FREEZE_WINDOWS;
  if (rawFreeze) {
    try {
      const specs = JSON.parse(rawFreeze) as MaintenanceWindowSpec[];
      if (!Array.isArray(specs)) throw new Error('not a JSON array');
      freezeWindows = parseFreezeWindows(specs);
    } catch (error) {
      problems.push(`ROLLGATE_FREEZE_WINDOWS is not a JSON array of { schedule, duration, timezone }: ${(error as Error).message}`);
    }
  }
  const settings: SchedulerSettings = {
    changeBudget: whole('ROLLGATE_CHANGE_BUDGET', undefined, 1),
    freezeWindows,
    timerPollMs: whole('ROLLGATE_TIMER_POLL_MS', 250, 10)!,
    pollingOverdueMs: whole('ROLLGATE_POLLING_OVERDUE_MS', 3_600_000, 1)!,
    dynamicFlushMs: whole('ROLLGATE_DYNAMIC_FLUSH_MS', 60_000, 1)!,
  };
  if (problems.length > 0) throw new Error(`group-scheduler: invalid configuration, not starting:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return settings;
}
