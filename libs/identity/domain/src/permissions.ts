/**
 * hawkBit's permission names, so that role mappings and scripts written for hawkBit carry over unchanged.
 * Rollgate adds one of its own, MANAGE_USERS (hawkBit delegates users to an external identity provider).
 */
const CRUD_SUBJECTS = [
  'TARGET', 'TARGET_TYPE', 'SOFTWARE_MODULE', 'SOFTWARE_MODULE_TYPE', 'DISTRIBUTION_SET', 'DISTRIBUTION_SET_TYPE',
  'ROLLOUT', 'AUTO_ASSIGNMENT', 'TENANT_CONFIGURATION',
] as const;
const CRUD_VERBS = ['CREATE', 'READ', 'UPDATE', 'DELETE'] as const;

type CrudPermission = `${(typeof CRUD_VERBS)[number]}_${(typeof CRUD_SUBJECTS)[number]}`;
const SPECIAL_PERMISSIONS = [
  'READ_TARGET_SECURITY_TOKEN', 'READ_GATEWAY_SECURITY_TOKEN', 'READ_SOFTWARE_MODULE_ARTIFACT', 'APPROVE_ROLLOUT',
  'HANDLE_ROLLOUT', 'APPROVE_AUTO_ASSIGNMENT', 'HANDLE_AUTO_ASSIGNMENT', 'MANAGE_USERS',
] as const;

export type Permission = CrudPermission | (typeof SPECIAL_PERMISSIONS)[number];

export const ALL_PERMISSIONS: readonly Permission[] = [
  ...CRUD_SUBJECTS.flatMap((subject) => CRUD_VERBS.map((verb): Permission => `${verb}_${subject}`)),
  ...SPECIAL_PERMISSIONS,
];

const KNOWN = new Set<string>(ALL_PERMISSIONS);

/** Roles are shorthands that expand to permissions when granted; only permissions are stored. */
export const ROLES: Readonly<Record<string, readonly Permission[]>> = {
  ROLE_ROLLOUT_ADMIN: ['CREATE_ROLLOUT', 'READ_ROLLOUT', 'UPDATE_ROLLOUT', 'DELETE_ROLLOUT', 'APPROVE_ROLLOUT', 'HANDLE_ROLLOUT'],
  ROLE_ADMIN: ALL_PERMISSIONS,
};

export function isPermission(value: string): value is Permission {
  return KNOWN.has(value);
}

/**
 * Expands roles and checks names. Answers the sorted, distinct permissions and the names it did not know,
 * so the caller can refuse them field by field.
 */
export function expandPermissions(names: readonly string[]): { permissions: Permission[]; unknown: string[] } {
  const granted = new Set<Permission>();
  const unknown: string[] = [];
  for (const name of names) {
    const role = ROLES[name];
    if (role) role.forEach((p) => granted.add(p));
    else if (isPermission(name)) granted.add(name);
    else unknown.push(name);
  }
  return { permissions: [...granted].sort(), unknown };
}

export function hasPermissions(granted: readonly string[], required: readonly Permission[]): boolean {
  return required.every((p) => granted.includes(p));
}
