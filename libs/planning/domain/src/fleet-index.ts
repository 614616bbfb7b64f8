import { CanaryNote, Reason, type CanaryNoteCode, type EligibilityOptions, type PlanTarget } from './planning.types';

const DAY_MS = 86_400_000;

/** Small integer ids for the categorical fields, so hot loops index typed arrays instead of hashing. */
export interface FleetIndex {
  size: number;
  typeNames: string[];
  regionNames: string[];
  siteNames: string[];
  gatewayNames: string[];
  type: Int32Array;
  region: Int32Array;
  /** -1 when the target has no site / gateway. */
  site: Int32Array;
  gateway: Int32Array;
}

class Interner {
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();
  private lastName: string | undefined;
  private lastId = -1;

  id(name: string | undefined): number {
    if (name === undefined) return -1;
    // Fleets arrive sorted by site or type more often than not: remember the previous answer.
    if (name === this.lastName) return this.lastId;
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(name, id);
      this.names.push(name);
    }
    this.lastName = name;
    this.lastId = id;
    return id;
  }
}

/** `topology: false` skips sites and gateways (ids all -1) when no cap needs them: half the hashing. */
export function indexFleet(targets: readonly PlanTarget[], topology = true): FleetIndex {
  const n = targets.length;
  const types = new Interner();
  const regions = new Interner();
  const sites = new Interner();
  const gateways = new Interner();
  const index: FleetIndex = {
    size: n, typeNames: types.names, regionNames: regions.names, siteNames: sites.names, gatewayNames: gateways.names,
    type: new Int32Array(n), region: new Int32Array(n), site: new Int32Array(n), gateway: new Int32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const t = targets[i];
    index.type[i] = types.id(t.deviceType);
    index.region[i] = regions.id(t.region);
    if (!topology) continue;
    index.site[i] = sites.id(t.site);
    index.gateway[i] = gateways.id(t.gateway);
  }
  if (!topology) {
    index.site.fill(-1);
    index.gateway.fill(-1);
  }
  return index;
}

/** 0 when the target may be in the rollout, else the exclusion reason (checked in a fixed order). */
export function exclusionOf(t: PlanTarget, options: EligibilityOptions, compatible: ReadonlySet<string> | undefined): number {
  if (t.quarantined) return Reason.EXCLUDED_QUARANTINED;
  if (compatible && !compatible.has(t.deviceType)) return Reason.EXCLUDED_INCOMPATIBLE_TYPE;
  if (t.activeRolloutId !== undefined && t.activeRolloutId !== options.rolloutId) return Reason.EXCLUDED_IN_OTHER_ROLLOUT;
  if (options.createdBefore !== undefined && t.createdAt !== undefined && t.createdAt > options.createdBefore) return Reason.EXCLUDED_CREATED_AFTER_ROLLOUT;
  return 0;
}

/** Why an included target may not serve as a canary (the seed's exclusion list), or NONE. */
export function canaryNoteOf(t: PlanTarget, now: number): CanaryNoteCode {
  if (t.singlePointOfFailure) return CanaryNote.SINGLE_POINT_OF_FAILURE;
  if (t.inMaintenance) return CanaryNote.IN_MAINTENANCE;
  if (t.hardwareIssue) return CanaryNote.HARDWARE_ISSUE;
  if (t.lastConnectivityIssueAt !== undefined && t.lastConnectivityIssueAt > now - DAY_MS) return CanaryNote.RECENT_CONNECTIVITY_ISSUE;
  return CanaryNote.NONE;
}

export interface Eligibility {
  /** Indexes of included targets, in input order. */
  eligible: Int32Array;
  reason: Uint8Array;
  canaryNote: Uint8Array;
}

/** One pass over the fleet: exclusions and canary notes into typed arrays, no per-target objects. */
export function assessEligibility(targets: readonly PlanTarget[], options: EligibilityOptions): Eligibility {
  const n = targets.length;
  const compatible = options.compatibleTypes ? new Set(options.compatibleTypes) : undefined;
  const reason = new Uint8Array(n);
  const canaryNote = new Uint8Array(n);
  const eligible = new Int32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const t = targets[i];
    const excluded = exclusionOf(t, options, compatible);
    if (excluded !== 0) {
      reason[i] = excluded;
      continue;
    }
    canaryNote[i] = canaryNoteOf(t, options.now);
    eligible[count++] = i;
  }
  return { eligible: eligible.subarray(0, count), reason, canaryNote };
}
