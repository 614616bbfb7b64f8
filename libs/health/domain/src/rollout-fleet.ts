import type { ActionStatus, RolloutExecution } from '@rollgate/rollout-domain';
import { UNKNOWN_DEVICE_TYPE } from './device-telemetry';
import { MINUTE_MS, type TimeWindow } from './health.types';

/**
 * A marked incident is left out of its devices' later baselines: from 30 minutes before it was recorded
 * (the degradation that led to it) to an hour after (the rollback and the recovery).
 */
export const INCIDENT_BEFORE_MS = 30 * MINUTE_MS;
export const INCIDENT_AFTER_MS = 60 * MINUTE_MS;

/**
 * What health-evaluator knows about one rollout's devices, folded from the rollout, group, action and
 * catalog events (docs/event-flow.md): membership from `group-members-added` chunks, the device's action
 * from `firstActionId + position`, installs and failures from action events. Nothing per device is read
 * from anywhere else.
 */
export interface FleetDevice {
  controllerId: string;
  groupId: string;
  position: number;
  status?: ActionStatus;
  /** when its action reached FINISHED */
  deployedAt?: number;
  failed: boolean;
  verified: boolean;
  fallback: boolean;
}

export interface FleetGroup {
  groupId: string;
  index: number;
  name: string;
  size: number;
  firstActionId?: number;
  /** chunk number → target ids, so a redelivered chunk is not added twice */
  chunks: Map<number, string[]>;
  members: string[];
  started: boolean;
  healthGate?: string;
  failed: number;
}

export interface RolloutFleet {
  tenant: string;
  rolloutId: string;
  distributionSetId: string;
  execution: Partial<RolloutExecution>;
  /** a rollback rollout (the scheduler's, back to previous versions): watched, but never rolled back itself */
  isRollback: boolean;
  phase: 'created' | 'starting' | 'running' | 'ended';
  startingAt?: number;
  groups: Map<string, FleetGroup>;
  devices: Map<string, FleetDevice>;
}

/** An event as the fleet tracker needs it: the short type (`group-ready`), its stream and payload. */
export interface FleetEvent {
  tenant: string;
  streamId: string;
  event: string;
  data: Record<string, unknown>;
}

export const DEVICE_TYPE_ATTRIBUTES = ['deviceType', 'device_type', 'device-type', 'hw_type', 'hwType'];

const ENDED_STATUSES: readonly string[] = ['FINISHED', 'ERROR', 'TIMED_OUT', 'CANCELED'];

/** Every rollout of every tenant, with the indexes to route action and target events. */
export class FleetRegistry {
  readonly rollouts = new Map<string, RolloutFleet>();
  /** tenant → distributionSetId → `name:version` (what devices report as runningVersion) */
  private readonly versions = new Map<string, string>();
  /** tenant|controllerId → device type from target attributes */
  private readonly attributeTypes = new Map<string, string>();
  /** action ranges sorted by first id (blocks from one sequence never overlap), for mapping `action-<id>` */
  private readonly ranges: Array<{ tenant: string; first: number; size: number; rolloutId: string; groupId: string }> = [];
  private readonly groupOwner = new Map<string, string>();
  /** tenant|controllerId → incident windows that concerned the device */
  private readonly incidents = new Map<string, TimeWindow[]>();

  /** A device's marked incident windows, to leave out of later baselines. */
  incidentWindows(tenant: string, controllerId: string): TimeWindow[] {
    return this.incidents.get(`${tenant}|${controllerId}`) ?? [];
  }

  rollout(tenant: string, rolloutId: string): RolloutFleet | undefined {
    return this.rollouts.get(`${tenant}|${rolloutId}`);
  }

  versionOf(tenant: string, distributionSetId: string): string | undefined {
    return this.versions.get(`${tenant}|${distributionSetId}`);
  }

  deviceTypeAttribute(tenant: string, controllerId: string): string | undefined {
    return this.attributeTypes.get(`${tenant}|${controllerId}`);
  }

  /** Folds one event in; unknown events are ignored. Idempotent per event (a redelivery changes nothing). */
  apply(e: FleetEvent): void {
    const d = e.data;
    switch (e.event) {
      case 'rollout-created':
        if (!this.rollout(e.tenant, String(d.rolloutId))) {
          this.rollouts.set(`${e.tenant}|${String(d.rolloutId)}`, {
            tenant: e.tenant,
            rolloutId: String(d.rolloutId),
            distributionSetId: String(d.distributionSetId),
            execution: (d.execution as Partial<RolloutExecution> | undefined) ?? {},
            isRollback: d.rollbackOf !== undefined && d.rollbackOf !== null,
            phase: 'created',
            groups: new Map(),
            devices: new Map(),
          });
        }
        return;
      case 'rollout-starting':
      case 'rollout-started':
        return this.onRollout(e, (r) => {
          if (r.phase === 'created') r.startingAt = Number(d.at);
          if (r.phase !== 'ended') r.phase = e.event === 'rollout-started' ? 'running' : r.phase === 'running' ? 'running' : 'starting';
        });
      case 'rollout-finished':
      case 'rollout-stopped':
      case 'rollout-deleted':
        return this.onRollout(e, (r) => (r.phase = 'ended'));
      case 'rollout-stopping':
        // An emergency stop is an incident for every device of the rollout; a manual or rollback stop is not
        // one by itself (a rollback's incident arrives as rollout-incident-recorded or rollback-triggered).
        return this.onRollout(e, (r) => {
          if (d.reason === 'emergency') this.markIncident(r, [], undefined, Number(d.at));
        });
      case 'rollout-incident-recorded':
        return this.onRollout(e, (r) => this.markIncident(r, [], typeof d.groupId === 'string' ? d.groupId : undefined, Number(d.at)));
      case 'rollback-triggered': {
        const r = this.rollout(e.tenant, String(d.rolloutId));
        const ids = Array.isArray(d.controllerIds) ? (d.controllerIds as string[]) : [];
        if (r) this.markIncident(r, ids, typeof d.groupId === 'string' && ids.length === 0 && d.scope === 'current_wave' ? d.groupId : undefined, Number(d.at));
        return;
      }
      case 'group-created':
        return this.onGroupCreated(e);
      case 'group-members-added':
        return this.onGroup(e, (g, r) => {
          const chunk = Number(d.chunk);
          if (g.chunks.has(chunk)) return;
          g.chunks.set(chunk, (d.targetIds as string[]) ?? []);
          g.members = [...g.chunks.entries()].sort(([a], [b]) => a - b).flatMap(([, ids]) => ids);
          g.members.forEach((id, position) => r.devices.set(id, { ...(r.devices.get(id) ?? { failed: false, verified: false, fallback: false }), controllerId: id, groupId: g.groupId, position }));
        });
      case 'group-ready':
        return this.onGroup(e, (g, r) => {
          if (g.firstActionId !== undefined) return;
          g.size = Number(d.size);
          g.firstActionId = Number(d.firstActionId);
          const range = { tenant: e.tenant, first: g.firstActionId, size: g.size, rolloutId: r.rolloutId, groupId: g.groupId };
          this.ranges.splice(this.rangeIndex(range.first + 1), 0, range);
        });
      case 'group-started':
        return this.onGroup(e, (g) => (g.started = true));
      case 'action-created':
      case 'action-feedback-received':
      case 'action-attempt-failed':
      case 'action-timed-out':
      case 'action-canceled':
        return this.onAction(e);
      case 'distribution-set-created':
        this.versions.set(`${e.tenant}|${String(d.distributionSetId)}`, `${String(d.name)}:${String(d.version)}`);
        return;
      case 'target-attributes-updated':
        return this.onAttributes(e);
      case 'device-verified':
      case 'device-fallback-detected':
        return this.onVerification(e);
      default:
        return;
    }
  }

  private onRollout(e: FleetEvent, change: (r: RolloutFleet) => void): void {
    const r = this.rollout(e.tenant, e.streamId.replace(/^rollout-/, ''));
    if (r) change(r);
  }

  private onGroupCreated(e: FleetEvent): void {
    const d = e.data;
    const r = this.rollout(e.tenant, String(d.rolloutId));
    if (!r || r.groups.has(String(d.groupId))) return;
    const conditions = d.conditions as { healthGate?: string } | undefined;
    r.groups.set(String(d.groupId), { groupId: String(d.groupId), index: Number(d.index), name: String(d.name), size: 0, chunks: new Map(), members: [], started: false, healthGate: conditions?.healthGate, failed: 0 });
    this.groupOwner.set(`${e.tenant}|${String(d.groupId)}`, r.rolloutId);
  }

  private onGroup(e: FleetEvent, change: (g: FleetGroup, r: RolloutFleet) => void): void {
    const groupId = e.streamId.replace(/^rolloutgroup-/, '');
    const rolloutId = this.groupOwner.get(`${e.tenant}|${groupId}`);
    const r = rolloutId === undefined ? undefined : this.rollout(e.tenant, rolloutId);
    const g = r?.groups.get(groupId);
    if (r && g) change(g, r);
  }

  /** The device behind `action-<id>`: its group's range gives the position, the membership the target. */
  deviceOfAction(tenant: string, actionId: number): { rollout: RolloutFleet; device: FleetDevice } | undefined {
    // One action event per device update: binary search over the ranges, not a scan of every rollout's groups.
    const range = this.ranges[this.rangeIndex(actionId + 1) - 1];
    if (!range || range.tenant !== tenant || actionId < range.first || actionId >= range.first + range.size) return undefined;
    const rollout = this.rollout(tenant, range.rolloutId);
    const controllerId = rollout?.groups.get(range.groupId)?.members[actionId - range.first];
    const device = controllerId === undefined ? undefined : rollout?.devices.get(controllerId);
    return rollout && device ? { rollout, device } : undefined;
  }

  /** The number of ranges whose first id is below `id` (where a range starting at `id - 1` would go after). */
  private rangeIndex(id: number): number {
    let lo = 0;
    let hi = this.ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ranges[mid].first < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private onAction(e: FleetEvent): void {
    const actionId = Number(e.streamId.replace(/^action-/, ''));
    if (!Number.isInteger(actionId)) return;
    const found = this.deviceOfAction(e.tenant, actionId);
    if (!found) return;
    const status = statusOf(e);
    if (status === undefined) return;
    const { rollout, device } = found;
    const wasFailed = device.failed;
    device.status = status;
    if (status === 'FINISHED') device.deployedAt ??= Number(e.data.at);
    if (status === 'ERROR' || status === 'TIMED_OUT') device.failed = true;
    const group = rollout.groups.get(device.groupId);
    if (group && !wasFailed && device.failed) group.failed += 1;
  }

  /** The named devices; none named: the group's members, else every device of the rollout. */
  private markIncident(r: RolloutFleet, controllerIds: readonly string[], groupId: string | undefined, at: number): void {
    if (!Number.isFinite(at)) return;
    const ids = controllerIds.length > 0 ? controllerIds : groupId !== undefined ? (r.groups.get(groupId)?.members ?? []) : [...r.devices.keys()];
    const window = { from: at - INCIDENT_BEFORE_MS, to: at + INCIDENT_AFTER_MS };
    for (const id of ids) this.incidents.set(`${r.tenant}|${id}`, [...this.incidentWindows(r.tenant, id), window]);
  }

  /** The evaluator's own conclusions, read back from the log after a restart. */
  private onVerification(e: FleetEvent): void {
    const rollout = this.rollout(e.tenant, String(e.data.rolloutId));
    const device = rollout?.devices.get(String(e.data.controllerId));
    if (!rollout || !device) return;
    if (e.event === 'device-verified') device.verified = true;
    else this.markFallback(rollout, device);
  }

  /** A fallback detected by the evaluator counts as a failed device of its wave. */
  markFallback(rollout: RolloutFleet, device: FleetDevice): void {
    device.fallback = true;
    if (device.failed) return;
    device.failed = true;
    const group = rollout.groups.get(device.groupId);
    if (group) group.failed += 1;
  }

  private onAttributes(e: FleetEvent): void {
    const data = (e.data.data as Record<string, string> | undefined) ?? {};
    const controllerId = e.streamId.replace(/^target-/, '');
    const key = DEVICE_TYPE_ATTRIBUTES.find((k) => data[k] !== undefined);
    if (e.data.mode === 'remove') {
      if (key) this.attributeTypes.delete(`${e.tenant}|${controllerId}`);
      return;
    }
    if (key) this.attributeTypes.set(`${e.tenant}|${controllerId}`, data[key]);
  }

  /** Device type: the target's attributes first (operator-curated), else what the device's telemetry says. */
  deviceType(tenant: string, controllerId: string, telemetryType: string | undefined): string {
    return this.deviceTypeAttribute(tenant, controllerId) ?? telemetryType ?? UNKNOWN_DEVICE_TYPE;
  }
}

function statusOf(e: FleetEvent): ActionStatus | undefined {
  switch (e.event) {
    case 'action-created':
    case 'action-feedback-received':
      return e.data.status as ActionStatus | undefined;
    case 'action-timed-out':
      return 'TIMED_OUT';
    case 'action-canceled':
      return 'CANCELED';
    default:
      return undefined;
  }
}

export function isEnded(status: ActionStatus | undefined): boolean {
  return status !== undefined && ENDED_STATUSES.includes(status);
}
