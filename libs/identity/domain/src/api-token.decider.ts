import { DomainError, type Decider, type DomainEvent } from '@rollgate/shared-domain';
import { checkSecretHash, grantable } from './identity.rules';
import type { Permission } from './permissions';

export interface ApiTokenIssuedData {
  tenant: string;
  tokenId: string;
  name: string;
  /** the user the token acts for; its permissions never exceed that user's at issue time */
  owner: string;
  secretHash: string;
  permissions: Permission[];
  expiresAt: number | null;
  at: number;
}

export type ApiTokenEvent = DomainEvent<'api-token-issued', ApiTokenIssuedData> | DomainEvent<'api-token-revoked', { by: string; at: number }>;

export type ApiTokenCommand =
  | {
      type: 'issue-api-token';
      tenant: string;
      tokenId: string;
      name: string;
      owner: string;
      ownerPermissions: readonly string[];
      secretHash: string;
      permissions: string[];
      expiresAt: number | null;
      at: number;
    }
  | { type: 'revoke-api-token'; by: string; at: number };

type TokenData = Omit<ApiTokenIssuedData, 'at'>;
export type ApiTokenState = { status: 'absent' } | ({ status: 'active' } & TokenData) | ({ status: 'revoked' } & TokenData);

function decide(command: ApiTokenCommand, state: ApiTokenState): ApiTokenEvent[] {
  switch (command.type) {
    case 'issue-api-token': {
      if (state.status !== 'absent') throw new DomainError('api_token_exists', `token ${command.tokenId} already exists`);
      checkSecretHash(command.secretHash, 'token');
      if (command.name.trim().length === 0 || command.name.length > 128) throw new DomainError('token_name_invalid', 'token name must be 1-128 characters');
      if (command.expiresAt !== null && command.expiresAt <= command.at) throw new DomainError('token_expiry_invalid', 'expiresAt must be in the future');
      const permissions = grantable(command.permissions);
      // A token is a narrower key for its owner, never a way to escalate.
      const excess = permissions.filter((p) => !command.ownerPermissions.includes(p));
      if (excess.length > 0) throw new DomainError('token_permission_not_allowed', `the owner lacks ${excess.join(', ')}`, { excess });
      const { tenant, tokenId, name, owner, secretHash, expiresAt, at } = command;
      return [{ type: 'api-token-issued', data: { tenant, tokenId, name, owner, secretHash, permissions, expiresAt, at } }];
    }
    case 'revoke-api-token':
      if (state.status === 'absent') throw new DomainError('api_token_not_found', 'no such token');
      if (state.status === 'revoked') throw new DomainError('api_token_revoked', `token ${state.tokenId} is already revoked`);
      return [{ type: 'api-token-revoked', data: { by: command.by, at: command.at } }];
  }
}

function evolve(state: ApiTokenState, event: ApiTokenEvent): ApiTokenState {
  switch (event.type) {
    case 'api-token-issued': {
      const { at: _at, ...data } = event.data;
      return { status: 'active', ...data };
    }
    case 'api-token-revoked':
      return state.status === 'absent' ? state : { ...state, status: 'revoked' };
  }
}

export const apiTokenDecider: Decider<ApiTokenCommand, ApiTokenState, ApiTokenEvent> = { decide, evolve, initialState: { status: 'absent' } };

/** Whether a token may authenticate at `now`. */
export function tokenUsable(state: ApiTokenState, now: number): state is Extract<ApiTokenState, { status: 'active' }> {
  return state.status === 'active' && (state.expiresAt === null || state.expiresAt > now);
}
