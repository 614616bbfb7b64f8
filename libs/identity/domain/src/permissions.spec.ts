import { ALL_PERMISSIONS, expandPermissions, hasPermissions } from './permissions';

describe('permissions', () => {
  it('knows hawkBit names', () => {
    expect(ALL_PERMISSIONS).toEqual(expect.arrayContaining(['CREATE_TARGET', 'READ_TARGET_SECURITY_TOKEN', 'APPROVE_ROLLOUT', 'HANDLE_ROLLOUT', 'READ_TENANT_CONFIGURATION']));
    expect(ALL_PERMISSIONS).toHaveLength(36 + 8);
  });
  it('expands roles and reports unknown names', () => {
    expect(expandPermissions(['ROLE_ROLLOUT_ADMIN', 'READ_TARGET', 'X'])).toEqual({
      permissions: ['APPROVE_ROLLOUT', 'CREATE_ROLLOUT', 'DELETE_ROLLOUT', 'HANDLE_ROLLOUT', 'READ_ROLLOUT', 'READ_TARGET', 'UPDATE_ROLLOUT'],
      unknown: ['X'],
    });
  });
  it('checks that every required permission is granted', () => {
    expect(hasPermissions(['READ_TARGET', 'CREATE_TARGET'], ['READ_TARGET'])).toBe(true);
    expect(hasPermissions(['READ_TARGET'], ['READ_TARGET', 'READ_TARGET_SECURITY_TOKEN'])).toBe(false);
  });
});
