import { randomUUID } from 'node:crypto';
import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, UseFilters, type OnModuleInit } from '@nestjs/common';
import { rolloutPerStatus, type GroupProgress } from '@rollgate/read-models';
import { rolloutDecider, type RolloutCommand } from '@rollgate/rollout-domain';
import { PG_POOL } from '@rollgate/service-kit';
import { DomainError, ReadModelLagError } from '@rollgate/shared-domain';
import type { Pool } from 'pg';
import { Caller, Requires } from '../identity/permissions.decorator';
import type { Principal } from '../identity/principal';
import { AggregateRepository } from '../shared/aggregate.repository';
import { precompileBody } from '../shared/body.validation';
import { JsonBody } from '../shared/json-body.decorator';
import { listSql, type ListSpec, type Page, type PagingQuery } from '../shared/paging';
import { Projections } from '../shared/projections.service';
import { findOne, listPage } from '../shared/read-model.queries';
import { checkCreateRules, CreateRolloutBody, UpdateRolloutBody, type CreateRolloutRequest, type UpdateRolloutRequest } from './rollout-body.schema';
import { RolloutCreation, rolloutStream, type StartedCreation } from './rollout-creation.service';
import { RolloutRetry } from './rollout-retry.service';
import { PlanRolloutBody, toPlanResource, type ExplanationQuery, type PlanRolloutRequest } from './rollout-plan.resources';
import { RolloutPlanning } from './rollout-planning.service';
import { toGroup, toMember, toRollout, type GroupRow, type RolloutRow } from './rollout.resources';
import { RolloutTransitionFilter } from './rollout-transition.filter';
import { ROLLOUT_READ_MODELS } from './rollout-read-models';

/** How long POST /rollouts waits for a creation to finish before answering it CREATING with its progress. */
const CREATE_WAIT_MS = 5_000;
const AUDIT_FILTERS = { createdAt: 'created_at', createdBy: 'created_by', lastModifiedAt: 'last_modified_at', lastModifiedBy: 'last_modified_by' } as const;
const ROLLOUTS: ListSpec = {
  table: 'rollouts', resource: 'rollouts', defaultSort: 'name:ASC',
  sortable: { id: 'id', name: 'name', status: 'status', createdAt: 'created_at', lastModifiedAt: 'last_modified_at' },
  filterColumns: { controllerId: 'id', name: 'name', description: 'description', ...AUDIT_FILTERS },
};
const GROUPS: ListSpec = {
  table: 'rollout_groups', resource: 'deploygroups', defaultSort: 'index:ASC',
  sortable: { id: 'id', index: 'idx', name: 'name', createdAt: 'created_at' },
  filterColumns: { controllerId: 'id', name: 'name', ...AUDIT_FILTERS },
};
/** A member's target field, looked up per member (the target row by primary key); a deleted target's default otherwise. */
const memberField = (column: string, fallback: string) =>
  `COALESCE((SELECT t.${column} FROM targets t WHERE t.tenant = c.tenant AND t.controller_id = m.controller_id), ${fallback}) AS ${column}`;
/**
 * A group's members with their target's fields; a target deleted since keeps its membership under its id.
 * The read model keeps membership as chunk arrays (one row per `group-members-added`), unnested here: the
 * scope (tenant, group) selects the group's few chunk rows by primary key before anything is unnested. The
 * target's fields are scalar lookups, not a join, so that a page sorted by controller id looks up only the
 * rows it shows (PostgreSQL evaluates them after the sort and LIMIT) and a count looks up none.
 */
const MEMBERS: ListSpec = {
  table: `(SELECT c.tenant, c.group_id, m.controller_id, ${memberField('name', 'm.controller_id')}, ${memberField('description', "''")},
                  ${memberField('update_status', "'UNKNOWN'")}, ${memberField('created_at', '0')}, ${memberField('created_by', "''")},
                  ${memberField('last_modified_at', '0')}, ${memberField('last_modified_by', "''")}
             FROM rollout_group_members c CROSS JOIN LATERAL unnest(c.controller_ids) AS m(controller_id)) AS members`,
  resource: 'deploygroup targets', defaultSort: 'controllerId:ASC',
  sortable: { id: 'controller_id', controllerId: 'controller_id', name: 'name', createdAt: 'created_at' },
  filterColumns: { controllerId: 'controller_id', name: 'name', description: 'description', updateStatus: 'update_status', ...AUDIT_FILTERS },
};

/**
 * `/rest/v1/rollouts`: creation, reads from the rollouts read model, and the operator's transitions, each
 * load → rolloutDecider → append. Executing a RUNNING rollout is the group-scheduler's job, not this one's.
 */
@Controller('rest/v1/rollouts')
@UseFilters(RolloutTransitionFilter)
export class RolloutsController implements OnModuleInit {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(AggregateRepository) private readonly repository: AggregateRepository,
    @Inject(Projections) private readonly projections: Projections,
    @Inject(RolloutCreation) private readonly creation: RolloutCreation,
    @Inject(RolloutRetry) private readonly retries: RolloutRetry,
    @Inject(RolloutPlanning) private readonly planning: RolloutPlanning,
  ) {}

  /** The creation body's validator at start, not on the first POST: creating a rollout is the latency that counts here. */
  onModuleInit(): void {
    precompileBody(CreateRolloutBody);
  }

  @Get()
  @Requires('READ_ROLLOUT')
  list(@Caller() caller: Principal, @Query() query: PagingQuery): Promise<Page<Record<string, unknown>>> {
    return listPage(this.pool, ROLLOUTS, caller.tenant, query, (row: RolloutRow) => toRollout(row));
  }

  @Post()
  @Requires('CREATE_ROLLOUT')
  async create(@Caller() caller: Principal, @JsonBody(CreateRolloutBody) request: CreateRolloutRequest): Promise<Record<string, unknown>> {
    checkCreateRules(request);
    return this.answerCreation(caller, await this.creation.start(caller, request));
  }

  /**
   * The dry run: what `POST /rollouts` would plan with this body (and `seed`, to replay one), creating
   * nothing. Needs CREATE_ROLLOUT: it shows which targets a rollout would reach and why.
   */
  @Post('plan')
  @HttpCode(200)
  @Requires('CREATE_ROLLOUT')
  async plan(@Caller() caller: Principal, @JsonBody(PlanRolloutBody) request: PlanRolloutRequest, @Query() query: ExplanationQuery): Promise<Record<string, unknown>> {
    const asCreate = { ...request, name: request.name ?? 'dry-run' };
    checkCreateRules(asCreate);
    await findOne(this.pool, 'distribution_sets', 'id', caller.tenant, String(request.distributionSetId), 'distribution_set_not_found');
    const planned = await this.planning.plan({ tenant: caller.tenant, body: asCreate, seed: request.seed ?? randomUUID(), at: Date.now() });
    return toPlanResource(planned, request, query);
  }

  /** hawkBit's update: name and description only; the plan is fixed once created. */
  @Put(':id')
  @Requires('UPDATE_ROLLOUT')
  async update(@Caller() caller: Principal, @Param('id') id: string, @JsonBody(UpdateRolloutBody) request: UpdateRolloutRequest): Promise<Record<string, unknown>> {
    return this.transition(caller, id, { type: 'update-rollout', name: request.name, description: request.description, by: caller.username, at: Date.now() });
  }

  @Get(':id')
  @Requires('READ_ROLLOUT')
  async get(@Caller() caller: Principal, @Param('id') id: string): Promise<Record<string, unknown>> {
    return this.detailed(caller.tenant, await this.rollout(caller.tenant, id));
  }

  @Get(':id/deploygroups')
  @Requires('READ_ROLLOUT')
  async groups(@Caller() caller: Principal, @Param('id') id: string, @Query() query: PagingQuery): Promise<Page<Record<string, unknown>>> {
    await this.rollout(caller.tenant, id);
    return scopedPage(this.pool, GROUPS, caller.tenant, query, { column: 'rollout_id', value: id }, toGroup);
  }

  @Get(':id/deploygroups/:groupId')
  @Requires('READ_ROLLOUT')
  async group(@Caller() caller: Principal, @Param('id') id: string, @Param('groupId') groupId: string): Promise<Record<string, unknown>> {
    return toGroup(await this.groupRow(caller.tenant, id, groupId));
  }

  @Get(':id/deploygroups/:groupId/targets')
  @Requires('READ_ROLLOUT')
  async groupTargets(@Caller() caller: Principal, @Param('id') id: string, @Param('groupId') groupId: string, @Query() query: PagingQuery): Promise<Page<Record<string, unknown>>> {
    await this.groupRow(caller.tenant, id, groupId);
    return scopedPage(this.pool, MEMBERS, caller.tenant, query, { column: 'group_id', value: groupId }, toMember);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @Requires('APPROVE_ROLLOUT')
  async approve(@Caller() caller: Principal, @Param('id') id: string, @Query('remark') remark?: string): Promise<Record<string, unknown>> {
    const { state } = await this.repository.load(caller.tenant, rolloutStream(id), rolloutDecider);
    const planHash = state.status === 'INITIAL' ? '' : state.planHash;
    return this.transition(caller, id, { type: 'approve-rollout', approver: caller.username, permissions: caller.permissions, planHash, remark, at: Date.now() });
  }

  @Post(':id/deny')
  @HttpCode(200)
  @Requires('APPROVE_ROLLOUT')
  deny(@Caller() caller: Principal, @Param('id') id: string, @Query('remark') remark?: string): Promise<Record<string, unknown>> {
    return this.transition(caller, id, { type: 'deny-rollout', approver: caller.username, permissions: caller.permissions, remark, at: Date.now() });
  }

  @Post(':id/start')
  @HttpCode(200)
  @Requires('HANDLE_ROLLOUT')
  start(@Caller() caller: Principal, @Param('id') id: string): Promise<Record<string, unknown>> {
    return this.transition(caller, id, { type: 'start-rollout', by: caller.username, at: Date.now() });
  }

  @Post(':id/pause')
  @HttpCode(200)
  @Requires('HANDLE_ROLLOUT')
  pause(@Caller() caller: Principal, @Param('id') id: string): Promise<Record<string, unknown>> {
    return this.transition(caller, id, { type: 'pause-rollout', by: caller.username, at: Date.now() });
  }

  @Post(':id/resume')
  @HttpCode(200)
  @Requires('HANDLE_ROLLOUT')
  resume(@Caller() caller: Principal, @Param('id') id: string): Promise<Record<string, unknown>> {
    return this.transition(caller, id, { type: 'resume-rollout', by: caller.username, at: Date.now() });
  }

  /**
   * Stop from any live state: STOPPING cancels every open action (the gateway and the scheduler react to it).
   * A rollout that never started has no action to cancel, so its stop completes here, as deletion does.
   */
  @Post(':id/stop')
  @HttpCode(200)
  @Requires('HANDLE_ROLLOUT')
  async stop(@Caller() caller: Principal, @Param('id') id: string): Promise<Record<string, unknown>> {
    await this.decide(caller, id, { type: 'stop-rollout', by: caller.username, at: Date.now() });
    const { state } = await this.repository.load(caller.tenant, rolloutStream(id), rolloutDecider);
    if (state.status === 'STOPPING' && !state.actionsCreated) await this.decide(caller, id, { type: 'complete-rollout-stop', at: Date.now() });
    await this.projections.catchUp(ROLLOUT_READ_MODELS);
    return this.detailed(caller.tenant, await this.rollout(caller.tenant, id));
  }

  /** Starts the next group now, whatever the running group's progress (hawkBit: UPDATE_ROLLOUT). */
  @Post(':id/triggerNextGroup')
  @HttpCode(200)
  @Requires('UPDATE_ROLLOUT')
  triggerNextGroup(@Caller() caller: Principal, @Param('id') id: string): Promise<Record<string, unknown>> {
    return this.transition(caller, id, { type: 'trigger-next-group', by: caller.username, at: Date.now() });
  }

  /** hawkBit's retry: a new rollout `<name>_retry` over the failed targets of a FINISHED rollout; answers the new rollout. */
  @Post(':id/retry')
  @Requires('CREATE_ROLLOUT')
  async retry(@Caller() caller: Principal, @Param('id') id: string): Promise<Record<string, unknown>> {
    await this.rollout(caller.tenant, id);
    let started: StartedCreation;
    try {
      started = await this.retries.retry(caller, id);
    } catch (error) {
      throw await this.withState(caller, id, error);
    }
    return this.answerCreation(caller, started);
  }

  /**
   * A rollout that never created actions has nothing for the scheduler to clean up, so its deletion completes
   * here and it is gone; one that did stays DELETING until the group-scheduler has dropped its actions.
   */
  @Delete(':id')
  @HttpCode(200)
  @Requires('DELETE_ROLLOUT')
  async remove(@Caller() caller: Principal, @Param('id') id: string): Promise<void> {
    await this.decide(caller, id, { type: 'delete-rollout', by: caller.username, at: Date.now() });
    const { state } = await this.repository.load(caller.tenant, rolloutStream(id), rolloutDecider);
    if (state.status === 'DELETING' && !state.actionsCreated) await this.decide(caller, id, { type: 'complete-rollout-deletion', at: Date.now() });
    await this.projections.catchUp(ROLLOUT_READ_MODELS);
  }

  private async transition(caller: Principal, id: string, command: RolloutCommand): Promise<Record<string, unknown>> {
    await this.decide(caller, id, command);
    await this.projections.catchUp(ROLLOUT_READ_MODELS);
    return this.detailed(caller.tenant, await this.rollout(caller.tenant, id));
  }

  /** load → decide → append; a refusal without the state in it (e.g. a deleted rollout) gets the state added. */
  private async decide(caller: Principal, id: string, command: RolloutCommand): Promise<void> {
    try {
      await this.repository.execute(caller, 'rollout', rolloutStream(id), rolloutDecider, command);
    } catch (error) {
      throw await this.withState(caller, id, error);
    }
  }

  private async withState(caller: Principal, id: string, error: unknown): Promise<unknown> {
    if (!(error instanceof DomainError) || error.details?.status !== undefined || error.code.endsWith('_not_found')) return error;
    const { state } = await this.repository.load(caller.tenant, rolloutStream(id), rolloutDecider);
    return new DomainError(error.code, error.message, { ...error.details, status: state.status });
  }

  /**
   * 201 once the rollout is READY (or waiting for approval); a large one still CREATING after
   * CREATE_WAIT_MS is answered as it stands, with its progress, and completes in the background.
   */
  private async answerCreation(caller: Principal, started: StartedCreation): Promise<Record<string, unknown>> {
    const finished = await Promise.race([started.done.then(() => true), new Promise<false>((resolve) => setTimeout(resolve, CREATE_WAIT_MS, false).unref())]);
    if (!finished) started.done.catch(() => undefined); // failures are logged and cleaned up by the creation itself
    try {
      await this.projections.catchUp(ROLLOUT_READ_MODELS);
    } catch (error) {
      // The rollout exists in the log; read models lagging behind a large backlog must not turn that into a
      // 500. The client gets 201 with the rollout as far as the read model shows it, and polls it from there.
      if (!this.projections.healthyFor(ROLLOUT_READ_MODELS)) throw error;
      const row = await this.pool.query<RolloutRow>('SELECT * FROM rollouts WHERE tenant = $1 AND id = $2', [caller.tenant, started.rolloutId]);
      if (row.rows.length === 0) return { id: started.rolloutId, status: 'creating', _links: { self: { href: `/rest/v1/rollouts/${started.rolloutId}` } } };
      return this.detailed(caller.tenant, row.rows[0]);
    }
    return this.detailed(caller.tenant, await this.rollout(caller.tenant, started.rolloutId));
  }

  /** The single-rollout form: with `totalTargetsPerStatus` summed over the groups' counters (never over actions). */
  private async detailed(tenant: string, row: RolloutRow): Promise<Record<string, unknown>> {
    const { rows } = await this.pool.query<GroupProgress>(
      `SELECT total_targets, started, closed, actions_scheduled, actions_running, actions_finished, actions_error, actions_cancelled
         FROM rollout_groups WHERE tenant = $1 AND rollout_id = $2`,
      [tenant, row.id],
    );
    return toRollout(row, rolloutPerStatus(rows));
  }

  /**
   * A rollout the log holds but the read model does not show yet (a backlog behind a large creation) is lagging,
   * not missing: 503 `read_model_lagging` (read again), never a 404 for a rollout that was just answered with 201.
   */
  private async rollout(tenant: string, id: string): Promise<RolloutRow> {
    try {
      return await findOne<RolloutRow>(this.pool, 'rollouts', 'id', tenant, id, 'rollout_not_found');
    } catch (error) {
      if (!(error instanceof DomainError) || error.code !== 'rollout_not_found') throw error;
      const { state } = await this.repository.load(tenant, rolloutStream(id), rolloutDecider);
      if (state.status === 'INITIAL' || state.status === 'DELETED') throw error;
      throw new ReadModelLagError(`rollout ${id} is recorded, but the rollouts read model does not show it yet; read it again shortly`);
    }
  }

  private async groupRow(tenant: string, rolloutId: string, groupId: string): Promise<GroupRow> {
    const row = await findOne<GroupRow>(this.pool, 'rollout_groups', 'id', tenant, groupId, 'rollout_group_not_found');
    if (row.rollout_id !== rolloutId) throw new DomainError('rollout_group_not_found', `no rollout group ${groupId} in rollout ${rolloutId}`);
    return row;
  }
}

/** A page of rows that belong to one parent (a rollout's groups, a group's targets), still within the tenant. */
async function scopedPage<Row, T>(pool: Pool, spec: ListSpec, tenant: string, query: PagingQuery, scope: { column: string; value: string }, toResource: (row: Row) => T): Promise<Page<T>> {
  const sql = listSql(spec, tenant, query);
  const n = sql.values.length;
  const where = `${sql.where} AND ${scope.column} = $${n + 1}`;
  const values = [...sql.values, scope.value];
  const [rows, count] = await Promise.all([
    pool.query(`SELECT * FROM ${spec.table} WHERE ${where} ORDER BY ${sql.orderBy} LIMIT $${n + 2} OFFSET $${n + 3}`, [...values, sql.limit, sql.offset]),
    pool.query(`SELECT count(*)::int AS total FROM ${spec.table} WHERE ${where}`, values),
  ]);
  const content = (rows.rows as Row[]).map(toResource);
  return { content, total: (count.rows[0] as { total: number }).total, size: content.length };
}
