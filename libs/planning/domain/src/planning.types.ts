/** What planning needs to know about one candidate target (a read-model row, not an aggregate). */
export interface PlanTarget {
  id: string;
  deviceType: string;
  region: string;
  site?: string;
  gateway?: string;
  createdAt?: number;
  /** Higher is better; the canary prefers well-monitored devices. */
  monitoringScore?: number;
  quarantined?: boolean;
  singlePointOfFailure?: boolean;
  inMaintenance?: boolean;
  hardwareIssue?: boolean;
  lastConnectivityIssueAt?: number;
  /** Set when the target is in another rollout that is still running. */
  activeRolloutId?: string;
}

export interface EligibilityOptions {
  /** Planning time: the 24-hour connectivity look-back ends here. */
  now: number;
  /** Targets created after this instant (the rollout's creation) are left out. */
  createdBefore?: number;
  /** Device types the distribution set is compatible with; absent means any. */
  compatibleTypes?: readonly string[];
  /** The rollout being planned, so its own membership does not exclude a target. */
  rolloutId?: string;
}

/**
 * Why a target is where it is. One byte per target (a Uint8Array over the fleet), so explaining a million
 * targets costs a megabyte, not a million objects; `explainTarget` turns a code into words on demand.
 */
export const Reason = {
  CANARY_TYPE_COVERAGE: 1,
  CANARY_REGION_COVERAGE: 2,
  CANARY_FILL: 3,
  WAVE: 4,
  GROUP: 5,
  BATCH: 6,
  EXCLUDED_QUARANTINED: 20,
  EXCLUDED_INCOMPATIBLE_TYPE: 21,
  EXCLUDED_IN_OTHER_ROLLOUT: 22,
  EXCLUDED_CREATED_AFTER_ROLLOUT: 23,
} as const;
export type ReasonCode = (typeof Reason)[keyof typeof Reason];

/** Why a target that is in the rollout is not in the canary (0 = it was eligible but not needed). */
export const CanaryNote = {
  NONE: 0,
  SINGLE_POINT_OF_FAILURE: 1,
  IN_MAINTENANCE: 2,
  HARDWARE_ISSUE: 3,
  RECENT_CONNECTIVITY_ISSUE: 4,
} as const;
export type CanaryNoteCode = (typeof CanaryNote)[keyof typeof CanaryNote];

export type GroupKind = 'canary' | 'wave' | 'group' | 'batch';

export interface PlannedGroupResult {
  name: string;
  kind: GroupKind;
  /** Indexes into the planned target array. */
  members: Int32Array;
}

export interface Plan {
  strategy: 'canary-waves' | 'hawkbit-split' | 'rolling-batches';
  seed: string;
  groups: PlannedGroupResult[];
  /** Per target: the group index, or -1 when excluded. */
  assignment: Int32Array;
  reason: Uint8Array;
  canaryNote: Uint8Array;
  warnings: string[];
}

/** Topology cap: at most `percent` % of any group behind one site or one gateway (at least one device). */
export interface TopologyCaps {
  percent: number;
  by: ReadonlyArray<'site' | 'gateway'>;
}
