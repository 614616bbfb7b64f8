import { given } from '@rollgate/shared-domain';
import { apiTokenDecider, tokenUsable, type ApiTokenCommand, type ApiTokenEvent } from './api-token.decider';

const AT = 1_700_000_000_000;
const issue: Extract<ApiTokenCommand, { type: 'issue-api-token' }> = {
  type: 'issue-api-token', tenant: 'acme', tokenId: 't1', name: 'ci', owner: 'ops', ownerPermissions: ['READ_TARGET', 'CREATE_TARGET'],
  secretHash: '$argon2id$s', permissions: ['READ_TARGET'], expiresAt: AT + 60_000, at: AT,
};
const issued: ApiTokenEvent = {
  type: 'api-token-issued',
  data: { tenant: 'acme', tokenId: 't1', name: 'ci', owner: 'ops', secretHash: '$argon2id$s', permissions: ['READ_TARGET'], expiresAt: AT + 60_000, at: AT },
};
const revoke: ApiTokenCommand = { type: 'revoke-api-token', by: 'ops', at: AT + 1 };
const revoked: ApiTokenEvent = { type: 'api-token-revoked', data: { by: 'ops', at: AT + 1 } };

describe('api token decider', () => {
  describe('given no token', () => {
    it('issues one', () => {
      given(apiTokenDecider).when(issue).then([issued]);
    });
    it('refuses permissions the owner lacks, unknown ones, a past expiry, a blank name or hash', () => {
      given(apiTokenDecider).when({ ...issue, permissions: ['DELETE_TARGET'] }).thenThrows('token_permission_not_allowed');
      given(apiTokenDecider).when({ ...issue, permissions: ['NOPE'] }).thenThrows('permission_invalid');
      given(apiTokenDecider).when({ ...issue, expiresAt: AT }).thenThrows('token_expiry_invalid');
      given(apiTokenDecider).when({ ...issue, name: ' ' }).thenThrows('token_name_invalid');
      given(apiTokenDecider).when({ ...issue, secretHash: '' }).thenThrows('secret_hash_invalid');
    });
    it('refuses to revoke', () => {
      given(apiTokenDecider).when(revoke).thenThrows('api_token_not_found');
    });
  });

  describe('given an issued token', () => {
    it('refuses to issue it again', () => {
      given(apiTokenDecider, [issued]).when(issue).thenThrows('api_token_exists');
    });
    it('revokes it', () => {
      given(apiTokenDecider, [issued]).when(revoke).then([revoked]);
    });
    it('is usable until it expires', () => {
      const { state } = given(apiTokenDecider, [issued]);
      expect(tokenUsable(state, AT + 59_999)).toBe(true);
      expect(tokenUsable(state, AT + 60_000)).toBe(false);
    });
  });

  describe('given a revoked token', () => {
    it('refuses to issue or revoke it again, and it is not usable', () => {
      given(apiTokenDecider, [issued, revoked]).when(issue).thenThrows('api_token_exists');
      given(apiTokenDecider, [issued, revoked]).when(revoke).thenThrows('api_token_revoked');
      expect(tokenUsable(given(apiTokenDecider, [issued, revoked]).state, AT)).toBe(false);
    });
  });
});
