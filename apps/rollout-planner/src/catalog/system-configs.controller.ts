import { Controller, Delete, ForbiddenException, Get, HttpCode, Inject, Param, Put } from '@nestjs/common';
import { Type, type Static } from '@sinclair/typebox';
import { CONFIG_KEYS, configKeyDef, tenantConfigDecider, type ConfigValue } from '@rollgate/catalog-domain';
import { PG_POOL } from '@rollgate/service-kit';
import type { Pool } from 'pg';
import { Caller, Requires } from '../identity/permissions.decorator';
import type { Principal } from '../identity/principal';
import { AggregateRepository } from '../shared/aggregate.repository';
import { JsonBody } from '../shared/json-body.decorator';
import { Projections } from '../shared/projections.service';

interface ConfigRow {
  key: string;
  value: ConfigValue;
  created_at: string;
  created_by: string;
  last_modified_at: string;
  last_modified_by: string;
}

/** hawkBit's answer for one key; `global` says the value is the default, not set by the tenant. */
interface ConfigResource {
  value: ConfigValue;
  global: boolean;
  createdBy?: string;
  createdAt?: number;
  lastModifiedBy?: string;
  lastModifiedAt?: number;
  _links: { self: { href: string } };
}

const SetValueBody = Type.Object({ value: Type.Union([Type.String(), Type.Number(), Type.Boolean()]) }, { additionalProperties: false });

/** `/rest/v1/system/configs`: tenant configuration, one stream per tenant (`tenantconfig-<tenant>`). */
@Controller('rest/v1/system/configs')
export class SystemConfigsController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(AggregateRepository) private readonly repository: AggregateRepository,
    @Inject(Projections) private readonly projections: Projections,
  ) {}

  @Get()
  @Requires('READ_TENANT_CONFIGURATION')
  async list(@Caller() caller: Principal): Promise<Record<string, ConfigResource>> {
    const rows = await this.rows(caller.tenant);
    const visible = Object.keys(CONFIG_KEYS).filter((key) => mayRead(caller, key));
    return Object.fromEntries(visible.map((key) => [key, toResource(key, rows.get(key))]));
  }

  @Get(':key')
  @Requires('READ_TENANT_CONFIGURATION')
  async get(@Caller() caller: Principal, @Param('key') key: string): Promise<ConfigResource> {
    configKeyDef(key);
    if (!mayRead(caller, key)) throw new ForbiddenException(`missing permission READ_GATEWAY_SECURITY_TOKEN`);
    return toResource(key, (await this.rows(caller.tenant, key)).get(key));
  }

  @Put(':key')
  @Requires('UPDATE_TENANT_CONFIGURATION')
  async set(@Caller() caller: Principal, @Param('key') key: string, @JsonBody(SetValueBody) body: Static<typeof SetValueBody>): Promise<ConfigResource> {
    const { value } = body;
    await this.repository.execute(caller, 'tenantconfig', stream(caller.tenant), tenantConfigDecider, { type: 'set-config-value', key, value, by: caller.username, at: Date.now() });
    await this.projections.catchUp();
    return toResource(key, (await this.rows(caller.tenant, key)).get(key));
  }

  @Delete(':key')
  @HttpCode(204)
  @Requires('DELETE_TENANT_CONFIGURATION')
  async remove(@Caller() caller: Principal, @Param('key') key: string): Promise<void> {
    await this.repository.execute(caller, 'tenantconfig', stream(caller.tenant), tenantConfigDecider, { type: 'delete-config-value', key, by: caller.username, at: Date.now() });
    await this.projections.catchUp();
  }

  private async rows(tenant: string, key?: string): Promise<Map<string, ConfigRow>> {
    const { rows } = await this.pool.query<ConfigRow>(`SELECT * FROM tenant_configs WHERE tenant = $1 AND ($2::text IS NULL OR key = $2)`, [tenant, key ?? null]);
    return new Map(rows.map((row) => [row.key, row]));
  }
}

const stream = (tenant: string) => `tenantconfig-${tenant}`;

/** A secret value (the gateway token) is readable only with READ_GATEWAY_SECURITY_TOKEN, as in hawkBit. */
function mayRead(caller: Principal, key: string): boolean {
  return !CONFIG_KEYS[key]?.secret || caller.permissions.includes('READ_GATEWAY_SECURITY_TOKEN');
}

function toResource(key: string, row: ConfigRow | undefined): ConfigResource {
  const _links = { self: { href: `/rest/v1/system/configs/${key}` } };
  if (!row) return { value: configKeyDef(key).default, global: true, _links };
  return {
    value: row.value, global: false, createdBy: row.created_by, createdAt: Number(row.created_at),
    lastModifiedBy: row.last_modified_by, lastModifiedAt: Number(row.last_modified_at), _links,
  };
}
