import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query } from '@nestjs/common';
import { Type, type Static } from '@sinclair/typebox';
import { softwareModuleDecider, type SoftwareModuleCommand } from '@rollgate/catalog-domain';
import { PG_POOL } from '@rollgate/service-kit';
import { ValidationError } from '@rollgate/shared-domain';
import type { Pool } from 'pg';
import { Caller, Requires } from '../identity/permissions.decorator';
import type { Principal } from '../identity/principal';
import { AggregateRepository } from '../shared/aggregate.repository';
import { JsonBody } from '../shared/json-body.decorator';
import type { ListSpec, Page, PagingQuery } from '../shared/paging';
import { Projections } from '../shared/projections.service';
import { audit, findOne, link, listPage } from '../shared/read-model.queries';
import { naturalId } from './catalog-ids';

interface ModuleRow {
  id: string;
  name: string;
  version: string;
  type: string;
  description: string;
  vendor: string;
  created_at: string;
  created_by: string;
  last_modified_at: string;
  last_modified_by: string;
}

const CreateModulesBody = Type.Array(
  Type.Object(
    {
      name: Type.String({ minLength: 1, maxLength: 128 }),
      version: Type.String({ minLength: 1, maxLength: 64 }),
      type: Type.String({ minLength: 1, maxLength: 64 }),
      description: Type.Optional(Type.String({ maxLength: 512 })),
      vendor: Type.Optional(Type.String({ maxLength: 256 })),
    },
    { additionalProperties: false },
  ),
  { minItems: 1, maxItems: 1000 },
);
const UpdateModuleBody = Type.Object({ description: Type.Optional(Type.String({ maxLength: 512 })), vendor: Type.Optional(Type.String({ maxLength: 256 })) }, { additionalProperties: false });

const MODULES: ListSpec = {
  table: 'software_modules',
  resource: 'softwaremodules',
  sortable: { id: 'id', name: 'name', version: 'version', type: 'type', createdAt: 'created_at', lastModifiedAt: 'last_modified_at' },
  defaultSort: 'name:ASC',
  filterColumns: { controllerId: 'id', name: 'name', description: 'description', createdAt: 'created_at', createdBy: 'created_by', lastModifiedAt: 'last_modified_at', lastModifiedBy: 'last_modified_by' },
};

/** `/rest/v1/softwaremodules`. Artifacts (multipart upload) come with artifact-distributor's integration. */
@Controller('rest/v1/softwaremodules')
export class SoftwareModulesController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(AggregateRepository) private readonly repository: AggregateRepository,
    @Inject(Projections) private readonly projections: Projections,
  ) {}

  @Get()
  @Requires('READ_SOFTWARE_MODULE')
  list(@Caller() caller: Principal, @Query() query: PagingQuery): Promise<Page<Record<string, unknown>>> {
    return listPage(this.pool, MODULES, caller.tenant, query, toModule);
  }

  @Post()
  @Requires('CREATE_SOFTWARE_MODULE')
  async create(@Caller() caller: Principal, @JsonBody(CreateModulesBody) body: Static<typeof CreateModulesBody>): Promise<Record<string, unknown>[]> {
    const modules = body;
    const at = Date.now();
    const commands = modules.map((m) => {
      const moduleId = naturalId(m.type, m.name, m.version);
      const command: SoftwareModuleCommand = { type: 'create-software-module', moduleId, name: m.name, version: m.version, moduleType: m.type, description: m.description, vendor: m.vendor, by: caller.username, at };
      return { streamId: `softwaremodule-${moduleId}`, command };
    });
    const ids = commands.map((c) => c.streamId);
    const twice = ids.findIndex((id, i) => ids.indexOf(id) !== i);
    if (twice >= 0) throw new ValidationError('the same module is listed twice', [{ path: `/${twice}`, message: 'repeats an earlier type, name and version' }]);
    await this.repository.executeMany(caller, 'softwaremodule', commands, softwareModuleDecider);
    await this.projections.catchUp();
    const { rows } = await this.pool.query<ModuleRow>('SELECT * FROM software_modules WHERE tenant = $1 AND id = ANY($2::text[])', [caller.tenant, commands.map((c) => c.command.type === 'create-software-module' ? c.command.moduleId : '')]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return commands.flatMap((c) => {
      const row = c.command.type === 'create-software-module' ? byId.get(c.command.moduleId) : undefined;
      return row ? [toModule(row)] : [];
    });
  }

  @Get(':id')
  @Requires('READ_SOFTWARE_MODULE')
  async get(@Caller() caller: Principal, @Param('id') id: string): Promise<Record<string, unknown>> {
    return toModule(await this.row(caller.tenant, id));
  }

  @Put(':id')
  @Requires('UPDATE_SOFTWARE_MODULE')
  async update(@Caller() caller: Principal, @Param('id') id: string, @JsonBody(UpdateModuleBody) body: Static<typeof UpdateModuleBody>): Promise<Record<string, unknown>> {
    const changes = body;
    await this.row(caller.tenant, id);
    await this.repository.execute(caller, 'softwaremodule', `softwaremodule-${id}`, softwareModuleDecider, { type: 'update-software-module', ...changes, by: caller.username, at: Date.now() });
    await this.projections.catchUp();
    return toModule(await this.row(caller.tenant, id));
  }

  @Delete(':id')
  @HttpCode(200)
  @Requires('DELETE_SOFTWARE_MODULE')
  async remove(@Caller() caller: Principal, @Param('id') id: string): Promise<void> {
    await this.repository.execute(caller, 'softwaremodule', `softwaremodule-${id}`, softwareModuleDecider, { type: 'delete-software-module', by: caller.username, at: Date.now() });
    await this.projections.catchUp();
  }

  private row(tenant: string, id: string): Promise<ModuleRow> {
    return findOne<ModuleRow>(this.pool, 'software_modules', 'id', tenant, id, 'software_module_not_found');
  }
}

function toModule(row: ModuleRow): Record<string, unknown> {
  return {
    id: row.id, name: row.name, version: row.version, type: row.type, typeName: row.type, description: row.description, vendor: row.vendor,
    deleted: false, ...audit(row), _links: link(`softwaremodules/${row.id}`),
  };
}
