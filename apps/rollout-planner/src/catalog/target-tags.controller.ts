import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query } from '@nestjs/common';
import { Type, type Static } from '@sinclair/typebox';
import { targetDecider, targetTagDecider, type TargetTagCommand } from '@rollgate/catalog-domain';
import { reserveIdBlock } from '@rollgate/event-store';
import { PG_POOL } from '@rollgate/service-kit';
import { DomainError, ValidationError } from '@rollgate/shared-domain';
import type { Pool } from 'pg';
import { Caller, Requires } from '../identity/permissions.decorator';
import type { Principal } from '../identity/principal';
import { AggregateRepository } from '../shared/aggregate.repository';
import { JsonBody } from '../shared/json-body.decorator';
import { listSql, type ListSpec, type Page, type PagingQuery } from '../shared/paging';
import { Projections } from '../shared/projections.service';
import { audit, findOne, link, listPage } from '../shared/read-model.queries';
import { toTarget, type TargetRow } from './targets.controller';

interface TagRow {
  id: string;
  name: string;
  description: string;
  colour: string;
  created_at: string;
  created_by: string;
  last_modified_at: string;
  last_modified_by: string;
}

const TagFields = { description: Type.Optional(Type.String({ maxLength: 512 })), colour: Type.Optional(Type.String({ maxLength: 16 })) };
const CreateTagsBody = Type.Array(Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }), ...TagFields }, { additionalProperties: false }), { minItems: 1, maxItems: 500 });
const UpdateTagBody = Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), ...TagFields }, { additionalProperties: false });
/** hawkBit has taken both shapes over its versions: `["dev-1"]` and `[{ "controllerId": "dev-1" }]`. */
const AssignBody = Type.Array(Type.Union([Type.String({ minLength: 1, maxLength: 128 }), Type.Object({ controllerId: Type.String({ minLength: 1, maxLength: 128 }) })]), { minItems: 1, maxItems: 10_000 });

/** Tag ids are numbers, as in hawkBit, from a sequence of their own. */
const TAG_ID_SEQUENCE = 'targettag';

const TAGS: ListSpec = {
  table: 'target_tags',
  resource: 'targettags',
  sortable: { id: 'id', name: 'name', createdAt: 'created_at', lastModifiedAt: 'last_modified_at' },
  defaultSort: 'name:ASC',
  filterColumns: { name: 'name', description: 'description', createdAt: 'created_at', createdBy: 'created_by', lastModifiedAt: 'last_modified_at', lastModifiedBy: 'last_modified_by' },
};
const TAGGED_TARGETS: ListSpec = {
  table: 'targets',
  resource: 'targets',
  sortable: { id: 'controller_id', controllerId: 'controller_id', name: 'name', createdAt: 'created_at', lastModifiedAt: 'last_modified_at' },
  defaultSort: 'controllerId:ASC',
  filterColumns: {},
};

/** `/rest/v1/targettags` and tag assignment (`/targettags/{id}/assigned`), as hawkBit. */
@Controller('rest/v1/targettags')
export class TargetTagsController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(AggregateRepository) private readonly repository: AggregateRepository,
    @Inject(Projections) private readonly projections: Projections,
  ) {}

  @Get()
  @Requires('READ_TARGET')
  list(@Caller() caller: Principal, @Query() query: PagingQuery): Promise<Page<Record<string, unknown>>> {
    return listPage(this.pool, TAGS, caller.tenant, query, toTag);
  }

  /**
   * Names are unique among a tenant's tags: checked against the read model (which every write waits for), so
   * two requests racing with the same new name could both pass; a tag's id, not its name, is its stream.
   */
  @Post()
  @Requires('CREATE_TARGET')
  async create(@Caller() caller: Principal, @JsonBody(CreateTagsBody) body: Static<typeof CreateTagsBody>): Promise<Array<Record<string, unknown>>> {
    const tags = body.map((t) => ({ ...t, name: t.name.trim() }));
    const names = tags.map((t) => t.name);
    const twice = names.findIndex((name, i) => names.indexOf(name) !== i);
    if (twice >= 0) throw new ValidationError(`tag ${names[twice]} is listed twice`, [{ path: `/${twice}/name`, message: 'is listed twice' }]);
    const { rows: taken } = await this.pool.query<{ name: string }>('SELECT name FROM target_tags WHERE tenant = $1 AND name = ANY($2::text[])', [caller.tenant, names]);
    if (taken.length > 0) throw new DomainError('target_tag_exists', `a tag named ${taken.map((t) => t.name).join(', ')} already exists`);
    const first = await reserveIdBlock(this.pool, TAG_ID_SEQUENCE, tags.length);
    const at = Date.now();
    const commands = tags.map((t, i) => {
      const tagId = String(first + i);
      const command: TargetTagCommand = { type: 'create-target-tag', tagId, name: t.name, description: t.description, colour: t.colour, by: caller.username, at };
      return { streamId: `targettag-${tagId}`, command };
    });
    await this.repository.executeMany(caller, 'targettag', commands, targetTagDecider);
    await this.projections.catchUp();
    const { rows } = await this.pool.query<TagRow>('SELECT * FROM target_tags WHERE tenant = $1 AND id = ANY($2::text[]) ORDER BY id::bigint', [caller.tenant, commands.map((c) => c.command.tagId)]);
    return rows.map(toTag);
  }

  @Get(':tagId')
  @Requires('READ_TARGET')
  async get(@Caller() caller: Principal, @Param('tagId') tagId: string): Promise<Record<string, unknown>> {
    return toTag(await this.tag(caller.tenant, tagId));
  }

  @Put(':tagId')
  @Requires('UPDATE_TARGET')
  async update(@Caller() caller: Principal, @Param('tagId') tagId: string, @JsonBody(UpdateTagBody) body: Static<typeof UpdateTagBody>): Promise<Record<string, unknown>> {
    const changes = body;
    await this.tag(caller.tenant, tagId);
    await this.repository.execute(caller, 'targettag', `targettag-${tagId}`, targetTagDecider, { type: 'update-target-tag', ...changes, by: caller.username, at: Date.now() });
    await this.projections.catchUp();
    return toTag(await this.tag(caller.tenant, tagId));
  }

  /** The tag leaves every target it was on. */
  @Delete(':tagId')
  @HttpCode(200)
  @Requires('DELETE_TARGET')
  async remove(@Caller() caller: Principal, @Param('tagId') tagId: string): Promise<void> {
    await this.tag(caller.tenant, tagId);
    await this.repository.execute(caller, 'targettag', `targettag-${tagId}`, targetTagDecider, { type: 'delete-target-tag', by: caller.username, at: Date.now() });
    await this.projections.catchUp();
  }

  @Get(':tagId/assigned')
  @Requires('READ_TARGET')
  async assigned(@Caller() caller: Principal, @Param('tagId') tagId: string, @Query() query: PagingQuery): Promise<Page<Record<string, unknown>>> {
    const tag = await this.tag(caller.tenant, tagId);
    const sql = listSql(TAGGED_TARGETS, caller.tenant, query);
    const n = sql.values.length;
    const where = `${sql.where} AND $${n + 1} = ANY(tags)`;
    const values = [...sql.values, tag.name];
    const [rows, count] = await Promise.all([
      this.pool.query<TargetRow>(`SELECT * FROM targets WHERE ${where} ORDER BY ${sql.orderBy} LIMIT $${n + 2} OFFSET $${n + 3}`, [...values, sql.limit, sql.offset]),
      this.pool.query<{ total: number }>(`SELECT count(*)::int AS total FROM targets WHERE ${where}`, values),
    ]);
    const content = rows.rows.map((row) => toTarget(row, caller));
    return { content, total: count.rows[0].total, size: content.length };
  }

  /** Tags the listed targets (all must exist; one event per target not tagged yet) and answers them. */
  @Post(':tagId/assigned')
  @HttpCode(200)
  @Requires('UPDATE_TARGET')
  async assign(@Caller() caller: Principal, @Param('tagId') tagId: string, @JsonBody(AssignBody) body: Static<typeof AssignBody>): Promise<Array<Record<string, unknown>>> {
    const controllerIds = [...new Set(body.map((entry) => (typeof entry === 'string' ? entry : entry.controllerId)))];
    const tag = await this.tag(caller.tenant, tagId);
    const { rows: known } = await this.pool.query<{ controller_id: string }>('SELECT controller_id FROM targets WHERE tenant = $1 AND controller_id = ANY($2::text[])', [caller.tenant, controllerIds]);
    const missing = controllerIds.filter((id) => !known.some((row) => row.controller_id === id));
    if (missing.length > 0) throw new DomainError('target_not_found', `no target ${missing.slice(0, 10).join(', ')}`);
    const at = Date.now();
    const commands = controllerIds.map((controllerId) => ({
      streamId: `target-${controllerId}`,
      command: { type: 'tag-target' as const, tagId, tagName: tag.name, by: caller.username, at },
    }));
    await this.repository.executeMany(caller, 'target', commands, targetDecider);
    await this.projections.catchUp();
    const { rows } = await this.pool.query<TargetRow>('SELECT * FROM targets WHERE tenant = $1 AND controller_id = ANY($2::text[]) ORDER BY controller_id', [caller.tenant, controllerIds]);
    return rows.map((row) => toTarget(row, caller));
  }

  @Delete(':tagId/assigned/:controllerId')
  @HttpCode(200)
  @Requires('UPDATE_TARGET')
  async unassign(@Caller() caller: Principal, @Param('tagId') tagId: string, @Param('controllerId') controllerId: string): Promise<void> {
    await this.tag(caller.tenant, tagId);
    await findOne(this.pool, 'targets', 'controller_id', caller.tenant, controllerId, 'target_not_found');
    await this.repository.execute(caller, 'target', `target-${controllerId}`, targetDecider, { type: 'untag-target', tagId, by: caller.username, at: Date.now() });
    await this.projections.catchUp();
  }

  private tag(tenant: string, tagId: string): Promise<TagRow> {
    return findOne<TagRow>(this.pool, 'target_tags', 'id', tenant, tagId, 'target_tag_not_found');
  }
}

function toTag(row: TagRow): Record<string, unknown> {
  return {
    id: Number(row.id), name: row.name, description: row.description, colour: row.colour, ...audit(row),
    _links: { ...link(`targettags/${row.id}`), assignedTargets: link(`targettags/${row.id}/assigned`).self },
  };
}

