import { groupPerStatus, type GroupProgress, type PerStatusKey } from '@rollgate/read-models';
import type { GroupConditions } from '@rollgate/rollout-domain';
import { audit, link } from '../shared/read-model.queries';

export interface RolloutRow {
  id: string;
  name: string;
  description: string;
  status: string;
  target_filter_query: string;
  distribution_set_id: string;
  action_type: string;
  force_time: string | null;
  weight: number;
  start_at: string | null;
  total_targets: number;
  total_groups: number;
  strategy: string;
  created_targets: number;
  approval_remark: string | null;
  approve_decided_by: string | null;
  deleted: boolean;
  created_at: string;
  created_by: string;
  last_modified_at: string;
  last_modified_by: string;
}

export interface GroupRow extends GroupProgress {
  id: string;
  rollout_id: string;
  idx: number;
  name: string;
  status: string;
  conditions: GroupConditions;
  total_targets: number;
  created_at: string;
  created_by: string;
  last_modified_at: string;
  last_modified_by: string;
}

export interface MemberRow {
  controller_id: string;
  name: string;
  description: string;
  update_status: string;
  created_at: string;
  created_by: string;
  last_modified_at: string;
  last_modified_by: string;
}

const num = (value: string | null): number | undefined => (value === null ? undefined : Number(value));

/**
 * A rollout as hawkBit shows it; `perStatus` (hawkBit's `totalTargetsPerStatus`, counted by the rollouts read
 * model) only in the detailed form of a single rollout, as hawkBit.
 */
export function toRollout(row: RolloutRow, perStatus?: Record<PerStatusKey, number>): Record<string, unknown> {
  const self = `rollouts/${row.id}`;
  return {
    id: row.id, name: row.name, description: row.description, status: row.status, targetFilterQuery: row.target_filter_query,
    distributionSetId: row.distribution_set_id, totalTargets: row.total_targets, totalGroups: row.total_groups,
    ...(perStatus ? { totalTargetsPerStatus: perStatus } : {}),
    strategy: row.strategy,
    // Rollgate: how far a large creation has got (members recorded so far of totalTargets), while CREATING.
    ...(row.status === 'creating' ? { creationProgress: { addedTargets: row.created_targets, totalTargets: row.total_targets } } : {}),
    startAt: num(row.start_at), forcetime: num(row.force_time), type: row.action_type, weight: row.weight, dynamic: false,
    approvalRemark: row.approval_remark ?? undefined, approveDecidedBy: row.approve_decided_by ?? undefined, deleted: row.deleted, ...audit(row),
    _links: {
      ...link(self),
      start: { href: `/rest/v1/${self}/start` }, pause: { href: `/rest/v1/${self}/pause` }, resume: { href: `/rest/v1/${self}/resume` },
      stop: { href: `/rest/v1/${self}/stop` }, triggerNextGroup: { href: `/rest/v1/${self}/triggerNextGroup` }, retry: { href: `/rest/v1/${self}/retry` },
      approve: { href: `/rest/v1/${self}/approve` }, deny: { href: `/rest/v1/${self}/deny` }, groups: { href: `/rest/v1/${self}/deploygroups` },
      distributionset: { href: `/rest/v1/distributionsets/${row.distribution_set_id}` },
    },
  };
}

export function toGroup(row: GroupRow): Record<string, unknown> {
  const c = row.conditions;
  return {
    id: row.id, name: row.name, description: '', status: row.status, totalTargets: row.total_targets, totalTargetsPerStatus: groupPerStatus(row),
    successCondition: { condition: 'THRESHOLD', expression: String(c.success.threshold) }, successAction: { action: c.successAction, expression: '' },
    errorCondition: { condition: c.error.kind === 'count' ? 'COUNT' : 'THRESHOLD', expression: String(c.error.threshold) }, errorAction: { action: c.errorAction, expression: '' },
    successMode: c.success.mode, ...(c.healthGate ? { healthGate: c.healthGate } : {}),
    ...audit(row), _links: link(`rollouts/${row.rollout_id}/deploygroups/${row.id}`),
  };
}

export function toMember(row: MemberRow): Record<string, unknown> {
  return {
    controllerId: row.controller_id, name: row.name, description: row.description, updateStatus: row.update_status.toLowerCase(),
    ...audit(row), _links: link(`targets/${row.controller_id}`),
  };
}
