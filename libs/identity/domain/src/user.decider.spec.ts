import { given } from '@rollgate/shared-domain';
import { userDecider, type UserCommand, type UserEvent } from './user.decider';

const AT = 1_700_000_000_000;
const create: UserCommand = { type: 'create-user', tenant: 'acme', username: 'ops', passwordHash: '$argon2id$h1', permissions: ['READ_TARGET', 'ROLE_ROLLOUT_ADMIN'], by: 'bootstrap', at: AT };
const created: UserEvent = {
  type: 'user-created',
  data: {
    tenant: 'acme', username: 'ops', passwordHash: '$argon2id$h1', createdBy: 'bootstrap', at: AT,
    permissions: ['APPROVE_ROLLOUT', 'CREATE_ROLLOUT', 'DELETE_ROLLOUT', 'HANDLE_ROLLOUT', 'READ_ROLLOUT', 'READ_TARGET', 'UPDATE_ROLLOUT'],
  },
};
const disabled: UserEvent = { type: 'user-disabled', data: { by: 'admin', at: AT + 1 } };
const changePassword: UserCommand = { type: 'change-password', passwordHash: '$argon2id$h2', by: 'ops', at: AT + 2 };
const changePermissions: UserCommand = { type: 'change-permissions', permissions: ['READ_TARGET'], by: 'admin', at: AT + 2 };
const disable: UserCommand = { type: 'disable-user', by: 'admin', at: AT + 2 };

describe('user decider', () => {
  describe('given no user', () => {
    it('creates one, expanding roles into sorted permissions', () => {
      given(userDecider).when(create).then([created]);
    });
    it('refuses a bad username, an empty hash and unknown permissions', () => {
      given(userDecider).when({ ...create, username: 'a b' }).thenThrows('username_invalid');
      given(userDecider).when({ ...create, passwordHash: '' }).thenThrows('secret_hash_invalid');
      const error = given(userDecider).when({ ...create, permissions: ['READ_TARGET', 'ROOT'] }).thenThrows('permission_invalid');
      expect(error.message).toContain('ROOT');
    });
    it.each([changePassword, changePermissions, disable])('refuses $type', (command) => {
      given(userDecider).when(command).thenThrows('user_not_found');
    });
  });

  describe('given an active user', () => {
    it('refuses to create it again', () => {
      given(userDecider, [created]).when(create).thenThrows('user_exists');
    });
    it('changes the password hash', () => {
      given(userDecider, [created]).when(changePassword).thenState((state) => expect(state).toMatchObject({ status: 'active', passwordHash: '$argon2id$h2' }));
      given(userDecider, [created]).when({ ...changePassword, passwordHash: '' }).thenThrows('secret_hash_invalid');
    });
    it('replaces the permissions', () => {
      given(userDecider, [created]).when(changePermissions).then([{ type: 'user-permissions-changed', data: { permissions: ['READ_TARGET'], by: 'admin', at: AT + 2 } }]);
    });
    it('disables the user', () => {
      given(userDecider, [created]).when(disable).then([{ type: 'user-disabled', data: { by: 'admin', at: AT + 2 } }]);
    });
  });

  describe('given a disabled user', () => {
    it('refuses to create it again', () => {
      given(userDecider, [created, disabled]).when(create).thenThrows('user_exists');
    });
    it.each([changePassword, changePermissions, disable])('refuses $type', (command) => {
      given(userDecider, [created, disabled]).when(command).thenThrows('user_disabled');
    });
  });
});
