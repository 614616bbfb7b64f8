import type { FleetRegistry, GateDevice, RolloutFleet, TelemetryStore, WaveStatus } from '@rollgate/health-domain';

/**
 * One rollout's devices as the domain's gates and triggers take them: deployed (install FINISHED, or
 * failed after starting), control (not updated yet), per-wave failure counts, with telemetry and device
 * type attached.
 */
export interface RolloutView {
  rollout: RolloutFleet;
  targetVersion?: string;
  deployed: GateDevice[];
  control: GateDevice[];
  waves: WaveStatus[];
  currentGroupId?: string;
  totalDevices: number;
}

export function viewOf(registry: FleetRegistry, rollout: RolloutFleet, telemetry: TelemetryStore): RolloutView {
  const deployed: GateDevice[] = [];
  const control: GateDevice[] = [];
  for (const d of rollout.devices.values()) {
    const t = telemetry.device(d.controllerId);
    const device: GateDevice = { controllerId: d.controllerId, groupId: d.groupId, deviceType: registry.deviceType(rollout.tenant, d.controllerId, t?.deviceType), deployedAt: d.deployedAt, failed: d.failed, fallback: d.fallback, telemetry: t };
    if (d.deployedAt !== undefined || d.failed) deployed.push(device);
    else control.push(device);
  }
  const groups = [...rollout.groups.values()].sort((a, b) => a.index - b.index);
  const waves = groups.map((g) => ({ groupId: g.groupId, size: g.size || g.members.length, failed: g.failed, started: g.started }));
  const current = groups.filter((g) => g.started).pop();
  return { rollout, targetVersion: registry.versionOf(rollout.tenant, rollout.distributionSetId), deployed, control, waves, currentGroupId: current?.groupId, totalDevices: rollout.devices.size };
}
