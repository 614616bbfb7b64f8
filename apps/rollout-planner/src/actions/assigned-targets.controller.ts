import { Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { Type, type Static } from '@sinclair/typebox';
import { ACTION_ID_SEQUENCE, reserveIdBlock } from '@rollgate/event-store';
import { openActionsOf, type ActionRow } from '@rollgate/read-models';
import { actionDecider, parseMaintenanceWindow, type ActionCommand, type AutoConfirmSource } from '@rollgate/rollout-domain';
import { PG_POOL } from '@rollgate/service-kit';
import { DomainError, ValidationError } from '@rollgate/shared-domain';
import type { Pool } from 'pg';
import { Caller, Requires } from '../identity/permissions.decorator';
import type { Principal } from '../identity/principal';
import { AggregateRepository } from '../shared/aggregate.repository';
import { JsonBody } from '../shared/json-body.decorator';
import { Projections } from '../shared/projections.service';
import { listSql, type ListSpec, type Page, type PagingQuery } from '../shared/paging';
import { findOne, link } from '../shared/read-model.queries';
import type { AutoConfirmRow } from '../catalog/target-auto-confirm.controller';
import { toTarget, type TargetRow } from '../catalog/targets.controller';
import { SignedArtifactsPolicy } from '../shared/signed-artifacts.policy';
import { ActionCancellation } from './action-cancellation.service';

const AssignmentBody = Type.Array(
  Type.Object(
    {
      id: Type.String({ minLength: 1, maxLength: 128 }),
      type: Type.Optional(Type.Union([Type.Literal('forced'), Type.Literal('soft'), Type.Literal('timeforced'), Type.Literal('downloadonly')])),
      weight: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
      forcetime: Type.Optional(Type.Integer({ minimum: 0 })),
      confirmationRequired: Type.Optional(Type.Boolean()),
      maintenanceWindow: Type.Optional(
        Type.Object({ schedule: Type.String({ minLength: 1, maxLength: 128 }), duration: Type.String({ minLength: 1, maxLength: 16 }), timezone: Type.String({ minLength: 1, maxLength: 16 }) }, { additionalProperties: false }),
      ),
    },
    { additionalProperties: false },
  ),
  { minItems: 1, maxItems: 1000 },
);
type Assignment = Static<typeof AssignmentBody>[number];

export interface AssignmentResult {
  assigned: number;
  alreadyAssigned: number;
  total: number;
  assignedActions: Array<{ id: number; _links: ReturnType<typeof link> }>;
}

/** Targets of a set, sorted and paged like `/targets`; the filter language applies to the targets. */
const SET_TARGETS: ListSpec = {
  table: 'targets',
  resource: 'targets',
  sortable: { id: 'controller_id', controllerId: 'controller_id', name: 'name', updateStatus: 'update_status', createdAt: 'created_at', lastModifiedAt: 'last_modified_at' },
  defaultSort: 'controllerId:ASC',
  filterColumns: { controllerId: 'controller_id', name: 'name', description: 'description', updateStatus: 'update_status', createdAt: 'created_at', lastModifiedAt: 'last_modified_at' },
};

/**
 * `POST /rest/v1/distributionsets/{id}/assignedTargets`: manual assignment. Each target not already on its
 * way to this set gets a new action: ids reserved as one block from the shared action sequence, and
 * `action-created` appended to every `action-<id>` stream in one transaction (all or nothing).
 */
@Controller('rest/v1/distributionsets/:distributionSetId')
export class AssignedTargetsController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(AggregateRepository) private readonly repository: AggregateRepository,
    @Inject(Projections) private readonly projections: Projections,
    @Inject(SignedArtifactsPolicy) private readonly signedArtifacts: SignedArtifactsPolicy,
    @Inject(ActionCancellation) private readonly cancellation: ActionCancellation,
  ) {}

  /** 200 as in hawkBit: the answer is a summary, not a created resource. */
  @Post('assignedTargets')
  @HttpCode(200)
  @Requires('READ_DISTRIBUTION_SET', 'UPDATE_TARGET')
  async assign(@Caller() caller: Principal, @Param('distributionSetId') distributionSetId: string, @JsonBody(AssignmentBody) body: Static<typeof AssignmentBody>): Promise<AssignmentResult> {
    const assignments = checkAssignments(body);
    await findOne(this.pool, 'distribution_sets', 'id', caller.tenant, distributionSetId, 'distribution_set_not_found');
    await this.signedArtifacts.requireSatisfied(caller.tenant, distributionSetId);
    await this.requireTargets(caller.tenant, assignments.map((a) => a.id));
    const open = await openActionsOf(this.pool, caller.tenant, assignments.map((a) => a.id));
    const onTheirWay = new Set(open.filter((a) => a.distribution_set_id === distributionSetId).map((a) => a.controller_id));
    const fresh = assignments.filter((a) => !onTheirWay.has(a.id));
    const actions = fresh.length === 0 ? [] : await this.createActions(caller, distributionSetId, fresh);
    await this.supersede(caller, open.filter((a) => a.distribution_set_id !== distributionSetId && !onTheirWay.has(a.controller_id)));
    if (actions.length > 0) await this.projections.catchUp();
    return {
      assigned: actions.length,
      alreadyAssigned: assignments.length - fresh.length,
      total: assignments.length,
      assignedActions: actions.map(({ actionId, controllerId }) => ({ id: actionId, _links: link(`targets/${encodeURIComponent(controllerId)}/actions/${actionId}`) })),
    };
  }

  /**
   * Targets whose assigned (or installed) set this is, from `target_deployments`, the record every service
   * shares. A rollout action its device has not touched yet is not there: such targets show once their device
   * made contact (their own `assignedDS` already shows it, from the actions model).
   */
  @Get('assignedTargets')
  @Requires('READ_DISTRIBUTION_SET', 'READ_TARGET')
  assignedTargets(@Caller() caller: Principal, @Param('distributionSetId') distributionSetId: string, @Query() query: PagingQuery): Promise<Page<Record<string, unknown>>> {
    return this.targetsOn(caller, distributionSetId, 'assigned_ds', query);
  }

  @Get('installedTargets')
  @Requires('READ_DISTRIBUTION_SET', 'READ_TARGET')
  installedTargets(@Caller() caller: Principal, @Param('distributionSetId') distributionSetId: string, @Query() query: PagingQuery): Promise<Page<Record<string, unknown>>> {
    return this.targetsOn(caller, distributionSetId, 'installed_ds', query);
  }

  private async targetsOn(caller: Principal, distributionSetId: string, column: 'assigned_ds' | 'installed_ds', query: PagingQuery): Promise<Page<Record<string, unknown>>> {
    await findOne(this.pool, 'distribution_sets', 'id', caller.tenant, distributionSetId, 'distribution_set_not_found');
    const sql = listSql(SET_TARGETS, caller.tenant, query);
    const n = sql.values.length;
    const where = `${sql.where} AND EXISTS (SELECT 1 FROM target_deployments d WHERE d.tenant = targets.tenant AND d.target_id = targets.controller_id AND d.${column} = $${n + 1})`;
    const values = [...sql.values, distributionSetId];
    const [rows, count] = await Promise.all([
      this.pool.query<TargetRow>(`SELECT * FROM targets WHERE ${where} ORDER BY ${sql.orderBy} LIMIT $${n + 2} OFFSET $${n + 3}`, [...values, sql.limit, sql.offset]),
      this.pool.query<{ total: number }>(`SELECT count(*)::int AS total FROM targets WHERE ${where}`, values),
    ]);
    const content = rows.rows.map((row) => toTarget(row, caller));
    return { content, total: count.rows[0].total, size: content.length };
  }

  private async createActions(caller: Principal, distributionSetId: string, assignments: readonly Assignment[]): Promise<Array<{ actionId: number; controllerId: string }>> {
    const autoConfirm = await this.autoConfirmOf(caller.tenant, assignments.filter((a) => a.confirmationRequired).map((a) => a.id));
    const first = await reserveIdBlock(this.pool, ACTION_ID_SEQUENCE, assignments.length);
    const at = Date.now();
    const commands = assignments.map((a, i) => {
      const actionId = String(first + i);
      const command: ActionCommand = {
        type: 'create-action', actionId, targetId: a.id, distributionSetId, actionType: a.type ?? 'forced', weight: a.weight ?? 1000,
        forceTime: a.forcetime, maintenanceWindow: a.maintenanceWindow, confirmationRequired: a.confirmationRequired, autoConfirm: autoConfirm.get(a.id), at,
      };
      return { streamId: `action-${actionId}`, command };
    });
    await this.repository.executeMany(caller, 'action', commands, actionDecider);
    return assignments.map((a, i) => ({ actionId: first + i, controllerId: a.id }));
  }

  /**
   * hawkBit at assignment: a target whose auto-confirmation is on has the action confirmed in the same append.
   * Read from the read model: an activation it has not seen yet is caught by the device-gateway, which
   * confirms waiting actions of auto-confirming targets as it follows the log (docs/event-flow.md).
   */
  private async autoConfirmOf(tenant: string, controllerIds: readonly string[]): Promise<Map<string, AutoConfirmSource>> {
    if (controllerIds.length === 0) return new Map();
    const { rows } = await this.pool.query<AutoConfirmRow>('SELECT * FROM target_auto_confirm WHERE tenant = $1 AND controller_id = ANY($2::text[])', [tenant, controllerIds]);
    return new Map(rows.map((r) => [r.controller_id, { initiator: r.initiator, remark: r.remark, activatedBy: r.activated_by }]));
  }

  /**
   * hawkBit without multi-assignment: a new assignment replaces what a target was on its way to, so its
   * older open actions are canceled (the device is asked to stop; one that already finished stays finished).
   */
  private async supersede(caller: Principal, replaced: readonly ActionRow[]): Promise<void> {
    for (const action of replaced) {
      try {
        await this.cancellation.cancel(caller, action, false);
      } catch (error) {
        // Closed between the read and the cancel (the device finished it): nothing left to replace.
        if (!(error instanceof DomainError && error.code === 'action_closed')) throw error;
      }
    }
  }

  private async requireTargets(tenant: string, controllerIds: readonly string[]): Promise<void> {
    const { rows } = await this.pool.query<{ controller_id: string }>('SELECT controller_id FROM targets WHERE tenant = $1 AND controller_id = ANY($2::text[])', [tenant, controllerIds]);
    const known = new Set(rows.map((r) => r.controller_id));
    const missing = controllerIds.filter((id) => !known.has(id));
    if (missing.length > 0) throw new DomainError('target_not_found', `no target ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ` and ${missing.length - 10} more` : ''}`);
  }
}

/** What the schema cannot say, refused field by field before anything is reserved or written. */
function checkAssignments(assignments: Assignment[]): Assignment[] {
  const issues: Array<{ path: string; message: string }> = [];
  const seen = new Set<string>();
  assignments.forEach((a, i) => {
    if (seen.has(a.id)) issues.push({ path: `/${i}/id`, message: 'is listed twice' });
    seen.add(a.id);
    if (a.type === 'timeforced' && a.forcetime === undefined) issues.push({ path: `/${i}/forcetime`, message: 'is required for a timeforced assignment' });
    if (a.maintenanceWindow) {
      try {
        parseMaintenanceWindow(a.maintenanceWindow);
      } catch (error) {
        issues.push({ path: `/${i}/maintenanceWindow`, message: error instanceof Error ? error.message : 'is invalid' });
      }
    }
  });
  if (issues.length > 0) throw new ValidationError(`invalid assignment: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
  return assignments;
}
