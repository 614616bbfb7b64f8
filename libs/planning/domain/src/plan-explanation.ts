import { CanaryNote, Reason, type Plan, type PlanTarget } from './planning.types';

export interface TargetExplanation {
  targetId: string;
  included: boolean;
  group?: string;
  code: string;
  message: string;
}

const REASON_CODES: Record<number, string> = {
  [Reason.CANARY_TYPE_COVERAGE]: 'canary-type-coverage',
  [Reason.CANARY_REGION_COVERAGE]: 'canary-region-coverage',
  [Reason.CANARY_FILL]: 'canary-fill',
  [Reason.WAVE]: 'wave',
  [Reason.GROUP]: 'group',
  [Reason.BATCH]: 'batch',
  [Reason.EXCLUDED_QUARANTINED]: 'quarantined',
  [Reason.EXCLUDED_INCOMPATIBLE_TYPE]: 'incompatible-type',
  [Reason.EXCLUDED_IN_OTHER_ROLLOUT]: 'in-other-running-rollout',
  [Reason.EXCLUDED_CREATED_AFTER_ROLLOUT]: 'created-after-rollout',
};

const CANARY_NOTES: Record<number, string> = {
  [CanaryNote.SINGLE_POINT_OF_FAILURE]: 'it is flagged as a single point of failure',
  [CanaryNote.IN_MAINTENANCE]: 'it is in maintenance',
  [CanaryNote.HARDWARE_ISSUE]: 'it has a known hardware issue',
  [CanaryNote.RECENT_CONNECTIVITY_ISSUE]: 'it had connectivity problems in the last 24 hours',
};

/** Words for one target's place in the plan, built on demand from the plan's one-byte codes. */
export function explainTarget(plan: Plan, targets: readonly PlanTarget[], i: number): TargetExplanation {
  const t = targets[i];
  const reason = plan.reason[i];
  const code = REASON_CODES[reason] ?? 'unknown';
  const g = plan.assignment[i];
  if (g < 0) return { targetId: t.id, included: false, code, message: exclusionMessage(reason, t) };
  const group = plan.groups[g].name;
  const note = plan.canaryNote[i];
  const notCanary = note !== CanaryNote.NONE && plan.strategy === 'canary-waves' ? `; not a canary candidate because ${CANARY_NOTES[note]}` : '';
  switch (reason) {
    case Reason.CANARY_TYPE_COVERAGE:
      return { targetId: t.id, included: true, group, code, message: `in the canary: the best-monitored device of type "${t.deviceType}"` };
    case Reason.CANARY_REGION_COVERAGE:
      return { targetId: t.id, included: true, group, code, message: `in the canary: represents region "${t.region}"` };
    case Reason.CANARY_FILL:
      return { targetId: t.id, included: true, group, code, message: 'in the canary: fills it up to the recommended size for this fleet' };
    default:
      return { targetId: t.id, included: true, group, code, message: `in ${group} by the seeded shuffle (seed "${plan.seed}")${notCanary}` };
  }
}

function exclusionMessage(reason: number, t: PlanTarget): string {
  switch (reason) {
    case Reason.EXCLUDED_QUARANTINED:
      return 'excluded: the device is quarantined';
    case Reason.EXCLUDED_INCOMPATIBLE_TYPE:
      return `excluded: device type "${t.deviceType}" is not compatible with the distribution set`;
    case Reason.EXCLUDED_IN_OTHER_ROLLOUT:
      return `excluded: the device is in another running rollout (${t.activeRolloutId})`;
    case Reason.EXCLUDED_CREATED_AFTER_ROLLOUT:
      return 'excluded: the device was created after the rollout';
    default:
      return 'excluded';
  }
}

/** Explanations for every candidate, lazily (a million targets need not become a million objects at once). */
export function* explainPlan(plan: Plan, targets: readonly PlanTarget[]): Generator<TargetExplanation> {
  for (let i = 0; i < targets.length; i++) yield explainTarget(plan, targets, i);
}
