import { Controller, Delete, Get, HttpCode, Inject, Param, Query, Res } from '@nestjs/common';
import { actionStatusHistory, findTargetAction, targetActionsSource, targetDeployments, targetDistributionSets, type ActionRow } from '@rollgate/read-models';
import { PG_POOL } from '@rollgate/service-kit';
import { DomainError, ValidationError } from '@rollgate/shared-domain';
import type { Pool } from 'pg';
import { Caller, Requires } from '../identity/permissions.decorator';
import type { Principal } from '../identity/principal';
import { listSql, type ListSpec, type Page, type PagingQuery } from '../shared/paging';
import { Projections } from '../shared/projections.service';
import { findOne } from '../shared/read-model.queries';
import { ActionCancellation } from './action-cancellation.service';
import { toAction, toActionStatus } from './action.resource';
import { distributionSetById } from './distribution-set.lookup';

/** Sorting of a target's actions; the filter language knows target fields only, so `q` is refused here. */
const ACTIONS: ListSpec = {
  table: 'actions',
  resource: 'actions',
  sortable: { id: 'id', status: 'status', weight: 'weight', createdAt: 'created_at', lastModifiedAt: 'last_modified_at' },
  defaultSort: 'id:DESC',
  filterColumns: {},
};

interface StatusQuery {
  offset?: string;
  limit?: string;
  sort?: string;
}

interface NoContentReply {
  status(code: number): unknown;
}

/** `/rest/v1/targets/{controllerId}/…`: the target's distribution sets and its actions with their history. */
@Controller('rest/v1/targets/:controllerId')
export class TargetActionsController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(Projections) private readonly projections: Projections,
    @Inject(ActionCancellation) private readonly cancellation: ActionCancellation,
  ) {}

  /**
   * 204 when nothing is assigned (hawkBit). From the actions read model rather than target_deployments: a
   * rollout action its device never touched assigns the set too, and only the actions model knows of it.
   */
  @Get('assignedDS')
  @Requires('READ_TARGET', 'READ_DISTRIBUTION_SET')
  async assignedDS(@Caller() caller: Principal, @Param('controllerId') controllerId: string, @Res({ passthrough: true }) reply: NoContentReply): Promise<Record<string, unknown> | undefined> {
    await this.requireTarget(caller.tenant, controllerId);
    const { assigned } = await targetDistributionSets(this.pool, caller.tenant, controllerId);
    return this.setOrNoContent(caller.tenant, assigned, reply);
  }

  @Get('installedDS')
  @Requires('READ_TARGET', 'READ_DISTRIBUTION_SET')
  async installedDS(@Caller() caller: Principal, @Param('controllerId') controllerId: string, @Res({ passthrough: true }) reply: NoContentReply): Promise<Record<string, unknown> | undefined> {
    await this.requireTarget(caller.tenant, controllerId);
    // target_deployments is the shared record of what a device runs (the scheduler's rollbacks read it too).
    const [deployment] = await targetDeployments(this.pool, caller.tenant, [controllerId]);
    return this.setOrNoContent(caller.tenant, deployment?.installedDs ?? undefined, reply);
  }

  @Get('actions')
  @Requires('READ_TARGET')
  async list(@Caller() caller: Principal, @Param('controllerId') controllerId: string, @Query() query: PagingQuery): Promise<Page<Record<string, unknown>>> {
    await this.requireTarget(caller.tenant, controllerId);
    const sql = listSql(ACTIONS, caller.tenant, query);
    const n = sql.values.length;
    const source = `(${targetActionsSource(n + 1)}) a`;
    const values = [...sql.values, controllerId];
    const [rows, count] = await Promise.all([
      this.pool.query<ActionRow>(`SELECT * FROM ${source} WHERE ${sql.where} ORDER BY ${sql.orderBy} LIMIT $${n + 2} OFFSET $${n + 3}`, [...values, sql.limit, sql.offset]),
      this.pool.query<{ total: number }>(`SELECT count(*)::int AS total FROM ${source} WHERE ${sql.where}`, values),
    ]);
    const content = rows.rows.map(toAction);
    return { content, total: count.rows[0].total, size: content.length };
  }

  @Get('actions/:actionId')
  @Requires('READ_TARGET')
  async get(@Caller() caller: Principal, @Param('controllerId') controllerId: string, @Param('actionId') actionId: string): Promise<Record<string, unknown>> {
    return toAction(await this.action(caller.tenant, controllerId, actionId));
  }

  /** Cancels (the device is asked to stop), or with `?force=true` closes the action at once (hawkBit's force quit). */
  @Delete('actions/:actionId')
  @HttpCode(204)
  @Requires('UPDATE_TARGET')
  async cancel(@Caller() caller: Principal, @Param('controllerId') controllerId: string, @Param('actionId') actionId: string, @Query('force') force?: string): Promise<void> {
    if (force !== undefined && force !== 'true' && force !== 'false') throw new ValidationError('force must be true or false', [{ path: 'force', message: 'must be true or false' }]);
    const action = await this.action(caller.tenant, controllerId, actionId);
    await this.cancellation.cancel(caller, action, force === 'true');
    await this.projections.catchUp();
  }

  /** hawkBit pages the history; `sort` takes `id` or `reportedAt`, ASC or DESC (default id:DESC, newest first). */
  @Get('actions/:actionId/status')
  @Requires('READ_TARGET')
  async status(@Caller() caller: Principal, @Param('controllerId') controllerId: string, @Param('actionId') actionId: string, @Query() query: StatusQuery): Promise<Page<Record<string, unknown>>> {
    const { limit, offset } = listSql(ACTIONS, caller.tenant, { limit: query.limit, offset: query.offset });
    const descending = historyOrder(query.sort);
    const history = await actionStatusHistory(this.pool, await this.action(caller.tenant, controllerId, actionId));
    const ordered = descending ? [...history].reverse() : history;
    const content = ordered.slice(offset, offset + limit).map(toActionStatus);
    return { content, total: history.length, size: content.length };
  }

  private async action(tenant: string, controllerId: string, actionId: string): Promise<ActionRow> {
    await this.requireTarget(tenant, controllerId);
    const action = await findTargetAction(this.pool, tenant, controllerId, actionId);
    if (!action) throw new DomainError('action_not_found', `target ${controllerId} has no action ${actionId}`);
    return action;
  }

  private async requireTarget(tenant: string, controllerId: string): Promise<void> {
    await findOne(this.pool, 'targets', 'controller_id', tenant, controllerId, 'target_not_found');
  }

  private async setOrNoContent(tenant: string, id: string | undefined, reply: NoContentReply): Promise<Record<string, unknown> | undefined> {
    const set = id === undefined ? undefined : await distributionSetById(this.pool, tenant, id);
    if (!set) reply.status(204);
    return set;
  }
}

/** Status entries are ordered by when they happened; id and reportedAt sort the same way. */
function historyOrder(sort: string | undefined): boolean {
  if (sort === undefined || sort === '') return true;
  const [field, direction = 'ASC'] = sort.split(':');
  if (!['id', 'reportedat'].includes(field.toLowerCase())) throw new ValidationError(`cannot sort by "${field}"`, [{ path: 'sort', message: `"${field}" is not one of id, reportedAt` }]);
  const dir = direction.toUpperCase();
  if (dir !== 'ASC' && dir !== 'DESC') throw new ValidationError(`sort direction "${direction}" must be ASC or DESC`, [{ path: 'sort', message: 'direction must be ASC or DESC' }]);
  return dir === 'DESC';
}
