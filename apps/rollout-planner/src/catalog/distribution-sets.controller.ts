import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query } from '@nestjs/common';
import { Type, type Static } from '@sinclair/typebox';
import { distributionSetDecider, type DistributionSetCommand, type ModuleRef, type SoftwareModuleType } from '@rollgate/catalog-domain';
import { PG_POOL } from '@rollgate/service-kit';
import { ValidationError } from '@rollgate/shared-domain';
import type { Pool } from 'pg';
import { Caller, Requires } from '../identity/permissions.decorator';
import type { Principal } from '../identity/principal';
import { AggregateRepository } from '../shared/aggregate.repository';
import { JsonBody } from '../shared/json-body.decorator';
import type { ListSpec, Page, PagingQuery } from '../shared/paging';
import { Projections } from '../shared/projections.service';
import { findOne, listPage } from '../shared/read-model.queries';
import { naturalId } from './catalog-ids';
import { toSet, type SetRow } from './distribution-set.resource';


const CreateSetsBody = Type.Array(
  Type.Object(
    {
      name: Type.String({ minLength: 1, maxLength: 128 }),
      version: Type.String({ minLength: 1, maxLength: 64 }),
      type: Type.String({ minLength: 1, maxLength: 64 }),
      description: Type.Optional(Type.String({ maxLength: 512 })),
      requiredMigrationStep: Type.Optional(Type.Boolean()),
      /** Rollgate: assignments and rollouts are refused while an artifact of the set is unsigned */
      requireSignedArtifacts: Type.Optional(Type.Boolean()),
      modules: Type.Array(Type.Object({ id: Type.Union([Type.String({ minLength: 1 }), Type.Integer()]) }), { maxItems: 50 }),
    },
    { additionalProperties: false },
  ),
  { minItems: 1, maxItems: 1000 },
);
const UpdateSetBody = Type.Object(
  { description: Type.Optional(Type.String({ maxLength: 512 })), requiredMigrationStep: Type.Optional(Type.Boolean()), requireSignedArtifacts: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);

const SETS: ListSpec = {
  table: 'distribution_sets',
  resource: 'distributionsets',
  sortable: { id: 'id', name: 'name', version: 'version', type: 'type', createdAt: 'created_at', lastModifiedAt: 'last_modified_at' },
  defaultSort: 'name:ASC',
  filterColumns: { controllerId: 'id', name: 'name', description: 'description', createdAt: 'created_at', createdBy: 'created_by', lastModifiedAt: 'last_modified_at', lastModifiedBy: 'last_modified_by' },
};

/** `/rest/v1/distributionsets`. Assignment (`assignedTargets`) comes with actions. */
@Controller('rest/v1/distributionsets')
export class DistributionSetsController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(AggregateRepository) private readonly repository: AggregateRepository,
    @Inject(Projections) private readonly projections: Projections,
  ) {}

  @Get()
  @Requires('READ_DISTRIBUTION_SET')
  list(@Caller() caller: Principal, @Query() query: PagingQuery): Promise<Page<Record<string, unknown>>> {
    return listPage(this.pool, SETS, caller.tenant, query, toSet);
  }

  @Post()
  @Requires('CREATE_DISTRIBUTION_SET')
  async create(@Caller() caller: Principal, @JsonBody(CreateSetsBody) body: Static<typeof CreateSetsBody>): Promise<Record<string, unknown>[]> {
    const sets = body;
    const modules = await this.moduleTypes(caller.tenant, sets.flatMap((s) => s.modules.map((m) => String(m.id))));
    const at = Date.now();
    const commands = sets.map((s, i) => {
      const distributionSetId = naturalId(s.name, s.version);
      const refs = s.modules.map((m, j): ModuleRef => {
        const type = modules.get(String(m.id));
        if (!type) throw new ValidationError(`software module ${m.id} does not exist`, [{ path: `/${i}/modules/${j}/id`, message: 'no such software module' }]);
        return { id: String(m.id), type };
      });
      const command: DistributionSetCommand = {
        type: 'create-distribution-set', distributionSetId, name: s.name, version: s.version, setType: s.type, description: s.description,
        requiredMigrationStep: s.requiredMigrationStep, requireSignedArtifacts: s.requireSignedArtifacts, modules: refs, by: caller.username, at,
      };
      return { streamId: `distributionset-${distributionSetId}`, id: distributionSetId, command };
    });
    const ids = commands.map((c) => c.id);
    const twice = ids.findIndex((id, i) => ids.indexOf(id) !== i);
    if (twice >= 0) throw new ValidationError('the same distribution set is listed twice', [{ path: `/${twice}`, message: 'repeats an earlier name and version' }]);
    await this.repository.executeMany(caller, 'distributionset', commands, distributionSetDecider);
    await this.projections.catchUp();
    const { rows } = await this.pool.query<SetRow>('SELECT * FROM distribution_sets WHERE tenant = $1 AND id = ANY($2::text[])', [caller.tenant, ids]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.flatMap((id) => {
      const row = byId.get(id);
      return row ? [toSet(row)] : [];
    });
  }

  @Get(':id')
  @Requires('READ_DISTRIBUTION_SET')
  async get(@Caller() caller: Principal, @Param('id') id: string): Promise<Record<string, unknown>> {
    return toSet(await this.row(caller.tenant, id));
  }

  @Put(':id')
  @Requires('UPDATE_DISTRIBUTION_SET')
  async update(@Caller() caller: Principal, @Param('id') id: string, @JsonBody(UpdateSetBody) body: Static<typeof UpdateSetBody>): Promise<Record<string, unknown>> {
    const changes = body;
    await this.row(caller.tenant, id);
    await this.repository.execute(caller, 'distributionset', `distributionset-${id}`, distributionSetDecider, { type: 'update-distribution-set', ...changes, by: caller.username, at: Date.now() });
    await this.projections.catchUp();
    return toSet(await this.row(caller.tenant, id));
  }

  @Delete(':id')
  @HttpCode(200)
  @Requires('DELETE_DISTRIBUTION_SET')
  async remove(@Caller() caller: Principal, @Param('id') id: string): Promise<void> {
    await this.repository.execute(caller, 'distributionset', `distributionset-${id}`, distributionSetDecider, { type: 'delete-distribution-set', by: caller.username, at: Date.now() });
    await this.projections.catchUp();
  }

  /** Types of the tenant's live modules among `ids` (from the read model, which writes have waited for). */
  private async moduleTypes(tenant: string, ids: string[]): Promise<Map<string, SoftwareModuleType>> {
    const { rows } = await this.pool.query<{ id: string; type: SoftwareModuleType }>('SELECT id, type FROM software_modules WHERE tenant = $1 AND id = ANY($2::text[])', [tenant, ids]);
    return new Map(rows.map((row) => [row.id, row.type]));
  }

  private row(tenant: string, id: string): Promise<SetRow> {
    return findOne<SetRow>(this.pool, 'distribution_sets', 'id', tenant, id, 'distribution_set_not_found');
  }
}
