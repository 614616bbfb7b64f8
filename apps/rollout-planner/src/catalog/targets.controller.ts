import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query } from '@nestjs/common';
import { Type, type Static } from '@sinclair/typebox';
import { targetDecider, type TargetCommand } from '@rollgate/catalog-domain';
import { DEFAULT_TARGET_COLUMNS } from '@rollgate/filter-domain';
import { PG_POOL } from '@rollgate/service-kit';
import { ValidationError } from '@rollgate/shared-domain';
import { randomInt } from 'node:crypto';
import type { Pool } from 'pg';
import { Caller, Requires } from '../identity/permissions.decorator';
import type { Principal } from '../identity/principal';
import { AggregateRepository } from '../shared/aggregate.repository';
import { JsonBody } from '../shared/json-body.decorator';
import type { ListSpec, Page, PagingQuery } from '../shared/paging';
import { Projections } from '../shared/projections.service';
import { audit, findOne, link, listPage } from '../shared/read-model.queries';
import { autoConfirmActive } from './target-auto-confirm.controller';

export interface TargetRow {
  controller_id: string;
  name: string;
  description: string;
  address: string | null;
  security_token: string;
  update_status: string;
  last_target_query: string | null;
  attributes: Record<string, string>;
  tags: string[];
  created_at: string;
  created_by: string;
  last_modified_at: string;
  last_modified_by: string;
}

const TargetFields = {
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  description: Type.Optional(Type.String({ maxLength: 512 })),
  address: Type.Optional(Type.Union([Type.String({ maxLength: 512 }), Type.Null()])),
  securityToken: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
};
const CreateTargetsBody = Type.Array(Type.Object({ controllerId: Type.String({ minLength: 1, maxLength: 128 }), ...TargetFields }, { additionalProperties: false }), { minItems: 1, maxItems: 10_000 });
const UpdateTargetBody = Type.Object({ controllerId: Type.Optional(Type.String()), ...TargetFields }, { additionalProperties: false });

const TARGETS: ListSpec = {
  table: 'targets',
  resource: 'targets',
  sortable: {
    id: 'controller_id', controllerId: 'controller_id', name: 'name', description: 'description', updateStatus: 'update_status',
    createdAt: 'created_at', lastModifiedAt: 'last_modified_at', lastControllerRequestAt: 'last_target_query',
  },
  defaultSort: 'controllerId:ASC',
  filterColumns: DEFAULT_TARGET_COLUMNS,
};

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** hawkBit's generated target tokens: 32 alphanumeric characters from a CSPRNG. */
function generateSecurityToken(): string {
  return Array.from({ length: 32 }, () => TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)]).join('');
}

/** `/rest/v1/targets`, with hawkBit's fields. Streams are `target-<controllerId>`, unique per tenant. */
@Controller('rest/v1/targets')
export class TargetsController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(AggregateRepository) private readonly repository: AggregateRepository,
    @Inject(Projections) private readonly projections: Projections,
  ) {}

  @Get()
  @Requires('READ_TARGET')
  async list(@Caller() caller: Principal, @Query() query: PagingQuery): Promise<Page<Record<string, unknown>>> {
    const page = await listPage<TargetRow, TargetRow>(this.pool, TARGETS, caller.tenant, query, (row) => row);
    const active = await autoConfirmActive(this.pool, caller.tenant, page.content.map((row) => row.controller_id));
    return { ...page, content: page.content.map((row) => toTarget(row, caller, active?.has(row.controller_id))) };
  }

  /** Bulk create as an array, all or nothing. */
  @Post()
  @Requires('CREATE_TARGET')
  async create(@Caller() caller: Principal, @JsonBody(CreateTargetsBody) body: Static<typeof CreateTargetsBody>): Promise<Record<string, unknown>[]> {
    const targets = body;
    const seen = new Set<string>();
    targets.forEach((t, i) => {
      if (seen.has(t.controllerId)) throw new ValidationError(`controllerId ${t.controllerId} is listed twice`, [{ path: `/${i}/controllerId`, message: 'is listed twice' }]);
      seen.add(t.controllerId);
    });
    const at = Date.now();
    const commands = targets.map((t) => ({
      streamId: `target-${t.controllerId}`,
      command: { type: 'create-target', ...t, securityToken: t.securityToken ?? generateSecurityToken(), by: caller.username, at } as TargetCommand,
    }));
    await this.repository.executeMany(caller, 'target', commands, targetDecider);
    await this.projections.catchUp();
    const { rows } = await this.pool.query<TargetRow>(`SELECT * FROM targets WHERE tenant = $1 AND controller_id = ANY($2::text[])`, [caller.tenant, targets.map((t) => t.controllerId)]);
    const byId = new Map(rows.map((row) => [row.controller_id, row]));
    return targets.flatMap((t) => {
      const row = byId.get(t.controllerId);
      return row ? [toTarget(row, caller)] : [];
    });
  }

  @Get(':controllerId')
  @Requires('READ_TARGET')
  async get(@Caller() caller: Principal, @Param('controllerId') controllerId: string): Promise<Record<string, unknown>> {
    return this.withAutoConfirm(caller, await this.row(caller.tenant, controllerId));
  }

  @Put(':controllerId')
  @Requires('UPDATE_TARGET')
  async update(@Caller() caller: Principal, @Param('controllerId') controllerId: string, @JsonBody(UpdateTargetBody) body: Static<typeof UpdateTargetBody>): Promise<Record<string, unknown>> {
    const { controllerId: renamed, ...changes } = body;
    if (renamed !== undefined && renamed !== controllerId) throw new ValidationError('controllerId cannot change', [{ path: '/controllerId', message: 'cannot change' }]);
    await this.row(caller.tenant, controllerId);
    await this.repository.execute(caller, 'target', `target-${controllerId}`, targetDecider, { type: 'update-target', ...changes, by: caller.username, at: Date.now() });
    await this.projections.catchUp();
    return this.withAutoConfirm(caller, await this.row(caller.tenant, controllerId));
  }

  @Delete(':controllerId')
  @HttpCode(200)
  @Requires('DELETE_TARGET')
  async remove(@Caller() caller: Principal, @Param('controllerId') controllerId: string): Promise<void> {
    await this.repository.execute(caller, 'target', `target-${controllerId}`, targetDecider, { type: 'delete-target', by: caller.username, at: Date.now() });
    await this.projections.catchUp();
  }

  @Get(':controllerId/attributes')
  @Requires('READ_TARGET')
  async attributes(@Caller() caller: Principal, @Param('controllerId') controllerId: string): Promise<Record<string, string>> {
    return (await this.row(caller.tenant, controllerId)).attributes;
  }

  /** The target's tags (hawkBit: `GET /targets/{id}/tags`). */
  @Get(':controllerId/tags')
  @Requires('READ_TARGET')
  async tags(@Caller() caller: Principal, @Param('controllerId') controllerId: string): Promise<Array<Record<string, unknown>>> {
    const target = await this.row(caller.tenant, controllerId);
    const { rows } = await this.pool.query<{ id: string; name: string; description: string; colour: string }>(
      'SELECT id, name, description, colour FROM target_tags WHERE tenant = $1 AND name = ANY($2::text[]) ORDER BY name', [caller.tenant, target.tags],
    );
    return rows.map((tag) => ({ id: Number(tag.id), name: tag.name, description: tag.description, colour: tag.colour, _links: link(`targettags/${tag.id}`) }));
  }

  private async withAutoConfirm(caller: Principal, row: TargetRow): Promise<Record<string, unknown>> {
    const active = await autoConfirmActive(this.pool, caller.tenant, [row.controller_id]);
    return toTarget(row, caller, active?.has(row.controller_id));
  }

  private row(tenant: string, controllerId: string): Promise<TargetRow> {
    return findOne<TargetRow>(this.pool, 'targets', 'controller_id', tenant, controllerId, 'target_not_found');
  }
}

/**
 * The security token is part of the answer only for callers with READ_TARGET_SECURITY_TOKEN. `autoConfirm`
 * is given only while the tenant's confirmation flow is on: then, as in hawkBit, the target shows
 * `autoConfirmActive` and links its `autoConfirm` state.
 */
export function toTarget(row: TargetRow, caller: Principal, autoConfirm?: boolean): Record<string, unknown> {
  return {
    controllerId: row.controller_id,
    name: row.name,
    description: row.description,
    ...(row.address !== null ? { address: row.address } : {}),
    ...(caller.permissions.includes('READ_TARGET_SECURITY_TOKEN') ? { securityToken: row.security_token } : {}),
    updateStatus: row.update_status.toLowerCase(),
    ...(row.last_target_query !== null ? { lastControllerRequestAt: Number(row.last_target_query) } : {}),
    requestAttributes: Object.keys(row.attributes).length === 0,
    ...(autoConfirm !== undefined ? { autoConfirmActive: autoConfirm } : {}),
    ...audit(row),
    _links: targetLinks(`targets/${encodeURIComponent(row.controller_id)}`, autoConfirm !== undefined),
  };
}

/** hawkBit's HAL links of a target: itself and its sub-resources. */
function targetLinks(self: string, autoConfirm: boolean): Record<string, { href: string }> {
  const href = (path: string) => link(path).self;
  return {
    self: href(self), assignedDS: href(`${self}/assignedDS`), installedDS: href(`${self}/installedDS`), attributes: href(`${self}/attributes`),
    actions: href(`${self}/actions`), tags: href(`${self}/tags`), ...(autoConfirm ? { autoConfirm: href(`${self}/autoConfirm`) } : {}),
  };
}
