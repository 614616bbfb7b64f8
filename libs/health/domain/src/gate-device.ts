import type { DeviceTelemetry } from './device-telemetry';

/** A device of the rollout as gates and triggers see it. */
export interface GateDevice {
  controllerId: string;
  groupId: string;
  deviceType: string;
  /** when its install finished (the action reached FINISHED); absent for a device not updated yet */
  deployedAt?: number;
  /** its action failed (ERROR, TIMED_OUT) or it fell back to the old version */
  failed?: boolean;
  /** it ran the new version and came back on another one (A/B fallback): the build itself did not hold */
  fallback?: boolean;
  telemetry?: DeviceTelemetry;
}

export function byDeviceType<T extends { deviceType: string }>(devices: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const d of devices) {
    const list = groups.get(d.deviceType);
    if (list) list.push(d);
    else groups.set(d.deviceType, [d]);
  }
  return new Map([...groups.entries()].sort(([a], [b]) => a.localeCompare(b)));
}
