import { Controller, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { Type, type Static } from '@sinclair/typebox';
import { ACTION_ID_SEQUENCE, reserveIdBlock } from '@rollgate/event-store';
import { openActionsOf, type ActionRow } from '@rollgate/read-models';
import { actionDecider, parseMaintenanceWindow, type ActionCommand } from '@rollgate/rollout-domain';
import { PG_POOL } from '@rollgate/service-kit';
import { DomainError, ValidationError } from '@rollgate/shared-domain';
import type { Pool } from 'pg';
import { Caller, Requires } from '../identity/permissions.decorator';
import type { Principal } from '../identity/principal';
import { AggregateRepository } from '../shared/aggregate.repository';
import { JsonBody } from '../shared/json-body.decorator';
import { Projections } from '../shared/projections.service';
import { findOne, link } from '../shared/read-model.queries';
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

/**
 * `POST /rest/v1/distributionsets/{id}/assignedTargets`: manual assignment. Each target not already on its
 * way to this set gets a new action: ids reserved as one block from the shared action sequence, and
 * `action-created` appended to every `action-<id>` stream in one transaction (all or nothing).
 */
@Controller('rest/v1/distributionsets/:distributionSetId/assignedTargets')
export class AssignedTargetsController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(AggregateRepository) private readonly repository: AggregateRepository,
    @Inject(Projections) private readonly projections: Projections,
    @Inject(SignedArtifactsPolicy) private readonly signedArtifacts: SignedArtifactsPolicy,
    @Inject(ActionCancellation) private readonly cancellation: ActionCancellation,
  ) {}

  /** 200 as in hawkBit: the answer is a summary, not a created resource. */
  @Post()
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

  private async createActions(caller: Principal, distributionSetId: string, assignments: readonly Assignment[]): Promise<Array<{ actionId: number; controllerId: string }>> {
    const first = await reserveIdBlock(this.pool, ACTION_ID_SEQUENCE, assignments.length);
    const at = Date.now();
    const commands = assignments.map((a, i) => {
      const actionId = String(first + i);
      const command: ActionCommand = {
        type: 'create-action', actionId, targetId: a.id, distributionSetId, actionType: a.type ?? 'forced', weight: a.weight ?? 1000,
        forceTime: a.forcetime, maintenanceWindow: a.maintenanceWindow, confirmationRequired: a.confirmationRequired, at,
      };
      return { streamId: `action-${actionId}`, command };
    });
    await this.repository.executeMany(caller, 'action', commands, actionDecider);
    return assignments.map((a, i) => ({ actionId: first + i, controllerId: a.id }));
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
