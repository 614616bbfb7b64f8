import type { ActionStatus, GroupConditions } from '@rollgate/rollout-domain';

/** What a rollback needs to know of a device (the target_deployments read model). */
export interface DeploymentView {
  targetId: string;
  installedDs: string | null;
  previousInstalledDs: string | null;
  lastRolloutId: string | null;
  lastActionStatus: string;
}

export interface RollbackBatchPlan {
  /** the distribution set these devices go back to */
  distributionSetId: string;
  /** groups of at most maxParallel devices, started one after the other */
  batches: string[][];
}

export interface RollbackPlan {
  rollouts: RollbackBatchPlan[];
  /** affected devices with no earlier distribution set to return to */
  withoutPrevious: string[];
  /** members the rollout never reached (nothing to undo) */
  unaffected: number;
}

/** The device never started on the update: its open action was (or will be) cancelled, nothing to undo. */
const UNTOUCHED: readonly string[] = ['SCHEDULED', 'WAIT_FOR_CONFIRMATION', 'CANCELED'] satisfies ActionStatus[];

/**
 * The seeds' rollback: every affected device back to its previously installed distribution set, in parallel
 * batches of maxParallel. A device is affected when it has the rollout's set installed, or its last action
 * (from this rollout) got past the start: a failed or interrupted install is returned to what it had. Devices
 * are grouped by the set they return to (one rollback rollout per set) and sorted, so the plan is the same
 * however often it is computed.
 */
export function planRollback(members: readonly string[], deployments: readonly DeploymentView[], rollout: { rolloutId: string; distributionSetId: string }, maxParallel?: number): RollbackPlan {
  const byTarget = new Map(deployments.map((d) => [d.targetId, d]));
  const toDs = new Map<string, string[]>();
  const withoutPrevious: string[] = [];
  let unaffected = 0;
  for (const targetId of [...new Set(members)].sort()) {
    const d = byTarget.get(targetId);
    const installedNew = d?.installedDs === rollout.distributionSetId;
    const touched = d !== undefined && d.lastRolloutId === rollout.rolloutId && !UNTOUCHED.includes(d.lastActionStatus);
    if (!d || (!installedNew && !touched)) {
      unaffected += 1;
      continue;
    }
    const back = installedNew ? d.previousInstalledDs : d.installedDs;
    if (!back || back === rollout.distributionSetId) {
      withoutPrevious.push(targetId);
      continue;
    }
    toDs.set(back, [...(toDs.get(back) ?? []), targetId]);
  }
  const size = maxParallel && maxParallel > 0 ? maxParallel : Infinity;
  const rollouts = [...toDs.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([distributionSetId, targets]) => ({ distributionSetId, batches: chunk(targets, size) }));
  return { rollouts, withoutPrevious, unaffected };
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isFinite(size)) return [[...items]];
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * A rollback batch proceeds once 80 % of its devices are back, and pauses the rollback (a human looks) when
 * more than 20 % fail: the two cover every outcome, so a batch never hangs between them. Pausing on the first
 * failure left the rest of the fleet on the bad build because one device could not install the good one.
 */
export const ROLLBACK_CONDITIONS: GroupConditions = {
  success: { threshold: 80, mode: 'finished' }, successAction: 'NEXTGROUP',
  error: { kind: 'percentage', threshold: 20 }, errorAction: 'PAUSE', actionType: 'forced',
};

/** Attempts per device in a rollback: a failed install of the known-good build is retried before it counts. */
export const ROLLBACK_MIN_ATTEMPTS = 3;
