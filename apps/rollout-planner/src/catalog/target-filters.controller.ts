import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query } from '@nestjs/common';
import { Type, type Static } from '@sinclair/typebox';
import { targetFilterDecider } from '@rollgate/catalog-domain';
import { PG_POOL } from '@rollgate/service-kit';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { Caller, Requires } from '../identity/permissions.decorator';
import type { Principal } from '../identity/principal';
import { AggregateRepository } from '../shared/aggregate.repository';
import { JsonBody } from '../shared/json-body.decorator';
import type { ListSpec, Page, PagingQuery } from '../shared/paging';
import { Projections } from '../shared/projections.service';
import { audit, findOne, link, listPage } from '../shared/read-model.queries';

interface FilterRow {
  id: string;
  name: string;
  query: string;
  created_at: string;
  created_by: string;
  last_modified_at: string;
  last_modified_by: string;
}

const CreateFilterBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }), query: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false });
const UpdateFilterBody = Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })), query: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })) }, { additionalProperties: false });

const FILTERS: ListSpec = {
  table: 'target_filters',
  resource: 'targetfilters',
  sortable: { id: 'id', name: 'name', createdAt: 'created_at', lastModifiedAt: 'last_modified_at' },
  defaultSort: 'name:ASC',
  filterColumns: { controllerId: 'id', name: 'name', createdAt: 'created_at', createdBy: 'created_by', lastModifiedAt: 'last_modified_at', lastModifiedBy: 'last_modified_by' },
};

/**
 * `/rest/v1/targetfilters`: named target queries. hawkBit takes one filter per POST (not an array). Target
 * filters are not read by the Target Management permissions alone in hawkBit either: READ_TARGET etc. apply.
 */
@Controller('rest/v1/targetfilters')
export class TargetFiltersController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(AggregateRepository) private readonly repository: AggregateRepository,
    @Inject(Projections) private readonly projections: Projections,
  ) {}

  @Get()
  @Requires('READ_TARGET')
  list(@Caller() caller: Principal, @Query() query: PagingQuery): Promise<Page<Record<string, unknown>>> {
    return listPage(this.pool, FILTERS, caller.tenant, query, toFilter);
  }

  @Post()
  @Requires('CREATE_TARGET')
  async create(@Caller() caller: Principal, @JsonBody(CreateFilterBody) body: Static<typeof CreateFilterBody>): Promise<Record<string, unknown>> {
    const { name, query } = body;
    const filterId = randomUUID();
    await this.repository.execute(caller, 'targetfilter', `targetfilter-${filterId}`, targetFilterDecider, { type: 'create-target-filter', filterId, name, query, by: caller.username, at: Date.now() });
    await this.projections.catchUp();
    return toFilter(await this.row(caller.tenant, filterId));
  }

  @Get(':id')
  @Requires('READ_TARGET')
  async get(@Caller() caller: Principal, @Param('id') id: string): Promise<Record<string, unknown>> {
    return toFilter(await this.row(caller.tenant, id));
  }

  @Put(':id')
  @Requires('UPDATE_TARGET')
  async update(@Caller() caller: Principal, @Param('id') id: string, @JsonBody(UpdateFilterBody) body: Static<typeof UpdateFilterBody>): Promise<Record<string, unknown>> {
    const changes = body;
    await this.row(caller.tenant, id);
    await this.repository.execute(caller, 'targetfilter', `targetfilter-${id}`, targetFilterDecider, { type: 'update-target-filter', ...changes, by: caller.username, at: Date.now() });
    await this.projections.catchUp();
    return toFilter(await this.row(caller.tenant, id));
  }

  @Delete(':id')
  @HttpCode(200)
  @Requires('DELETE_TARGET')
  async remove(@Caller() caller: Principal, @Param('id') id: string): Promise<void> {
    await this.repository.execute(caller, 'targetfilter', `targetfilter-${id}`, targetFilterDecider, { type: 'delete-target-filter', by: caller.username, at: Date.now() });
    await this.projections.catchUp();
  }

  private row(tenant: string, id: string): Promise<FilterRow> {
    return findOne<FilterRow>(this.pool, 'target_filters', 'id', tenant, id, 'target_filter_not_found');
  }
}

function toFilter(row: FilterRow): Record<string, unknown> {
  return { id: row.id, name: row.name, query: row.query, autoAssignDistributionSet: null, ...audit(row), _links: link(`targetfilters/${row.id}`) };
}
