import { DomainError } from '@rollgate/shared-domain';
import { APPROVE_ROLLOUT, type ApprovalPolicy, type RolloutData } from './rollout.types';

/**
 * hawkBit asks for approval only when it is enabled and the creator lacks APPROVE_ROLLOUT (so such a creator
 * approves their own rollout). Rollgate keeps that shortcut only when creators may approve and one approver
 * suffices; otherwise the four-eyes rule and the quorum apply.
 */
export function isApprovalRequired(policy: ApprovalPolicy, creatorPermissions: readonly string[]): boolean {
  if (!policy.enabled) return false;
  const creatorSelfApproves = policy.creatorMayApprove && policy.quorum <= 1 && creatorPermissions.includes(APPROVE_ROLLOUT);
  return !creatorSelfApproves;
}

/** The checks every approval decision (approve or deny) passes, in a fixed order so codes are stable. */
export function assertMayDecideApproval(rollout: RolloutData, approver: string, permissions: readonly string[]): void {
  if (!permissions.includes(APPROVE_ROLLOUT)) {
    throw new DomainError('approval_permission_missing', `${approver} lacks ${APPROVE_ROLLOUT}`, { approver });
  }
  if (!rollout.approvalPolicy.creatorMayApprove && approver === rollout.createdBy) {
    throw new DomainError('approver_is_creator', `the creator of rollout ${rollout.rolloutId} may not approve or deny it`, { approver });
  }
}

/** Approvals still valid at `at` and bound to the current plan. */
export function liveApprovals(rollout: RolloutData, at: number): RolloutData['approvals'] {
  return rollout.approvals.filter((a) => a.planHash === rollout.planHash && (a.expiresAt === undefined || a.expiresAt > at));
}

/** The quorum's validity ends when its earliest approval expires. */
export function quorumExpiry(approvals: RolloutData['approvals']): number | undefined {
  const expiries = approvals.map((a) => a.expiresAt).filter((e): e is number => e !== undefined);
  return expiries.length ? Math.min(...expiries) : undefined;
}
