import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query } from '@nestjs/common';
import type { Static } from '@sinclair/typebox';
import { PG_POOL } from '@rollgate/service-kit';
import type { Pool } from 'pg';
import type { WriteContext } from '../shared/aggregate.repository';
import type { ListSpec, Page, PagingQuery } from '../shared/paging';
import { Projections } from '../shared/projections.service';
import { audit, findOne, listPage } from '../shared/read-model.queries';
import { JsonBody } from '../shared/json-body.decorator';
import { Authenticator } from './authenticator.service';
import { IdentityService } from './identity.service';
import { Caller, Requires } from './permissions.decorator';
import type { Principal } from './principal';
import { CreateUserBody, IssueTokenBody, UpdateUserBody } from './identity.schemas';

/**
 * Rollgate's extension for users and API tokens (hawkBit leaves users to an identity provider). Users live in
 * the caller's tenant only; a user of another tenant reads as not found.
 */
@Controller('rest/v1/system')
export class UsersController {
  constructor(
    @Inject(IdentityService) private readonly identity: IdentityService,
    @Inject(Authenticator) private readonly authenticator: Authenticator,
    @Inject(Projections) private readonly projections: Projections,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  @Get('users')
  @Requires('MANAGE_USERS')
  list(@Caller() caller: Principal, @Query() query: PagingQuery): Promise<Page<Record<string, unknown>>> {
    return listPage(this.pool, USERS, caller.tenant, query, toUser);
  }

  @Post('users')
  @Requires('MANAGE_USERS')
  async create(@Caller() caller: Principal, @JsonBody(CreateUserBody) body: Static<typeof CreateUserBody>): Promise<Record<string, unknown>> {
    const { username, password, permissions } = body;
    await this.identity.createUser(context(caller), username, password, permissions);
    await this.projections.catchUp();
    return this.get(caller, username);
  }

  @Get('users/:username')
  @Requires('MANAGE_USERS')
  async get(@Caller() caller: Principal, @Param('username') username: string): Promise<Record<string, unknown>> {
    return toUser(await findOne<UserRow>(this.pool, 'users', 'username', caller.tenant, username, 'user_not_found'));
  }

  @Put('users/:username')
  @Requires('MANAGE_USERS')
  async update(@Caller() caller: Principal, @Param('username') username: string, @JsonBody(UpdateUserBody) body: Static<typeof UpdateUserBody>): Promise<Record<string, unknown>> {
    const { password, permissions } = body;
    if (password !== undefined) await this.identity.changePassword(context(caller), username, password);
    if (permissions !== undefined) await this.identity.changePermissions(context(caller), username, permissions);
    // Cached credentials would keep the old permissions for up to the TTL.
    this.authenticator.cache.clear();
    await this.projections.catchUp();
    return this.get(caller, username);
  }

  @Delete('users/:username')
  @HttpCode(204)
  @Requires('MANAGE_USERS')
  async disable(@Caller() caller: Principal, @Param('username') username: string): Promise<void> {
    await this.identity.disableUser(context(caller), username);
    this.authenticator.cache.clear();
    await this.projections.catchUp();
  }

  /** Any authenticated caller may issue a token for themselves, with at most their own permissions. */
  @Post('tokens')
  @Requires()
  async issue(@Caller() caller: Principal, @JsonBody(IssueTokenBody) body: Static<typeof IssueTokenBody>): Promise<{ id: string; name: string; token: string; permissions: string[]; expiresAt: number | null }> {
    const { name, permissions, expiresAt } = body;
    return this.identity.issueToken(caller, name, permissions, expiresAt ?? null);
  }

  @Delete('tokens/:tokenId')
  @HttpCode(204)
  @Requires()
  async revoke(@Caller() caller: Principal, @Param('tokenId') tokenId: string): Promise<void> {
    await this.identity.revokeToken(caller, tokenId);
    this.authenticator.cache.clear();
  }
}

interface UserRow {
  username: string;
  permissions: string[];
  enabled: boolean;
  created_at: string;
  created_by: string;
  last_modified_at: string;
  last_modified_by: string;
}

const USERS: ListSpec = {
  table: 'users',
  resource: 'users',
  sortable: { id: 'username', username: 'username', createdAt: 'created_at' },
  defaultSort: 'username:ASC',
  filterColumns: { name: 'username', createdAt: 'created_at', createdBy: 'created_by' },
};

/** hawkBit's `/rest/v1/userinfo`: who the credentials belong to (scripts use it to check a login). */
@Controller('rest/v1/userinfo')
export class UserInfoController {
  @Get()
  @Requires()
  get(@Caller() caller: Principal): { tenant: string; username: string; permissions: readonly string[] } {
    return { tenant: caller.tenant, username: caller.username, permissions: caller.permissions };
  }
}

function toUser(row: UserRow): Record<string, unknown> {
  return { username: row.username, permissions: row.permissions, enabled: row.enabled, ...audit(row) };
}

function context(caller: Principal): WriteContext {
  return { tenant: caller.tenant, actor: caller.actor, username: caller.username };
}
