import type { ActionRow, ActionStatusRow } from '@rollgate/read-models';
import { TERMINAL_ACTION_STATUSES, type ActionStatus } from '@rollgate/rollout-domain';
import { link } from '../shared/read-model.queries';

const CANCEL_STATUSES = ['CANCELING', 'CANCELED', 'CANCEL_REJECTED'];

/** hawkBit's action resource: `type` update/cancel, `status` pending/finished, `detailStatus` the exact state. */
export function toAction(row: ActionRow): Record<string, unknown> {
  const target = `targets/${encodeURIComponent(row.controller_id)}`;
  return {
    id: Number(row.id),
    type: CANCEL_STATUSES.includes(row.status) ? 'cancel' : 'update',
    status: TERMINAL_ACTION_STATUSES.includes(row.status as ActionStatus) ? 'finished' : 'pending',
    detailStatus: row.status.toLowerCase(),
    weight: row.weight,
    forceType: row.action_type,
    ...(row.force_time !== null ? { forceTime: Number(row.force_time) } : {}),
    ...(row.maintenance_window ? { maintenanceWindow: row.maintenance_window } : {}),
    ...(row.rollout_id ? { rollout: row.rollout_id, rolloutName: row.rollout_name ?? undefined } : {}),
    distributionSetId: row.distribution_set_id,
    createdAt: Number(row.created_at),
    lastModifiedAt: Number(row.last_modified_at),
    _links: {
      ...link(`${target}/actions/${row.id}`),
      target: link(target).self,
      distributionset: link(`distributionsets/${row.distribution_set_id}`).self,
      status: link(`${target}/actions/${row.id}/status`).self,
      ...(row.rollout_id ? { rollout: link(`rollouts/${row.rollout_id}`).self } : {}),
    },
  };
}

/** One entry of an action's status history, as hawkBit pages it. */
export function toActionStatus(row: ActionStatusRow): Record<string, unknown> {
  return { id: row.seq, type: row.status.toLowerCase(), messages: row.messages, reportedAt: Number(row.reported_at), timestamp: Number(row.reported_at) };
}
