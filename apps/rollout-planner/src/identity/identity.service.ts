import { Inject, Injectable } from '@nestjs/common';
import { apiTokenDecider, userDecider, type ApiTokenState, type Permission, type UserState } from '@rollgate/identity-domain';
import { DomainError } from '@rollgate/shared-domain';
import { randomBytes } from 'node:crypto';
import { AggregateRepository, byOf, type WriteContext } from '../shared/aggregate.repository';
import { PasswordHasher } from './password-hasher';
import type { Principal } from './principal';

export const userStream = (tenant: string, username: string): string => `user-${tenant}-${username}`;
export const tokenStream = (tenant: string, tokenId: string): string => `token-${tenant}-${tokenId}`;

/** API tokens read `rgt.<tenant>.<id>.<secret>`: the tenant and id locate the stream, the secret is checked against its hash. */
const TOKEN_FORMAT = /^rgt\.([a-z0-9][a-z0-9-]{0,62})\.([a-f0-9]{16})\.([A-Za-z0-9_-]{43})$/;

export interface ParsedToken {
  tenant: string;
  tokenId: string;
  secret: string;
}

export function parseApiToken(token: string): ParsedToken | undefined {
  const match = TOKEN_FORMAT.exec(token);
  return match ? { tenant: match[1], tokenId: match[2], secret: match[3] } : undefined;
}

export interface IssuedToken {
  id: string;
  name: string;
  token: string;
  permissions: Permission[];
  expiresAt: number | null;
}

/** Users and API tokens: the commands (load → decide → append) and the lookups authentication needs. */
@Injectable()
export class IdentityService {
  constructor(
    @Inject(AggregateRepository) private readonly repository: AggregateRepository,
    @Inject(PasswordHasher) private readonly hasher: PasswordHasher,
  ) {}

  async createUser(context: WriteContext, username: string, password: string, permissions: string[]): Promise<Permission[]> {
    const passwordHash = await this.hasher.hash(password);
    const [event] = await this.repository.execute(context, 'user', userStream(context.tenant, username), userDecider, {
      type: 'create-user', tenant: context.tenant, username, passwordHash, permissions, by: byOf(context), at: Date.now(),
    });
    return event.type === 'user-created' ? event.data.permissions : [];
  }

  async changePassword(context: WriteContext, username: string, password: string): Promise<void> {
    const passwordHash = await this.hasher.hash(password);
    await this.repository.execute(context, 'user', userStream(context.tenant, username), userDecider, { type: 'change-password', passwordHash, by: byOf(context), at: Date.now() });
  }

  async changePermissions(context: WriteContext, username: string, permissions: string[]): Promise<void> {
    await this.repository.execute(context, 'user', userStream(context.tenant, username), userDecider, { type: 'change-permissions', permissions, by: byOf(context), at: Date.now() });
  }

  async disableUser(context: WriteContext, username: string): Promise<void> {
    await this.repository.execute(context, 'user', userStream(context.tenant, username), userDecider, { type: 'disable-user', by: byOf(context), at: Date.now() });
  }

  async user(tenant: string, username: string): Promise<UserState> {
    return (await this.repository.load(tenant, userStream(tenant, username), userDecider)).state;
  }

  /** Issues a token for the caller; the secret is answered once and only its hash is stored. */
  async issueToken(owner: Principal, name: string, permissions: string[] | undefined, expiresAt: number | null): Promise<IssuedToken> {
    const tokenId = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const secretHash = await this.hasher.hash(secret);
    const [event] = await this.repository.execute(owner, 'token', tokenStream(owner.tenant, tokenId), apiTokenDecider, {
      type: 'issue-api-token', tenant: owner.tenant, tokenId, name, owner: owner.username, ownerPermissions: owner.permissions,
      secretHash, permissions: permissions ?? [...owner.permissions], expiresAt, at: Date.now(),
    });
    if (event.type !== 'api-token-issued') throw new Error('token issue produced no api-token-issued event');
    return { id: tokenId, name, token: `rgt.${owner.tenant}.${tokenId}.${secret}`, permissions: event.data.permissions, expiresAt };
  }

  /** Owners revoke their own tokens; MANAGE_USERS revokes anyone's. Someone else's token reads as not found. */
  async revokeToken(caller: Principal, tokenId: string): Promise<void> {
    const stream = tokenStream(caller.tenant, tokenId);
    const { state } = await this.repository.load(caller.tenant, stream, apiTokenDecider);
    const mine = state.status !== 'absent' && state.owner === caller.username;
    if (!mine && !caller.permissions.includes('MANAGE_USERS')) throw new DomainError('api_token_not_found', `no token ${tokenId}`);
    await this.repository.execute(caller, 'token', stream, apiTokenDecider, { type: 'revoke-api-token', by: byOf(caller), at: Date.now() });
  }

  async token(tenant: string, tokenId: string): Promise<ApiTokenState> {
    return (await this.repository.load(tenant, tokenStream(tenant, tokenId), apiTokenDecider)).state;
  }
}
