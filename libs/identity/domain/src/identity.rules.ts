import { DomainError } from '@rollgate/shared-domain';
import { expandPermissions, type Permission } from './permissions';

/** Usernames appear in stream ids (`user-<tenant>-<name>`) and in Basic credentials, hence the alphabet. */
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export function checkUsername(username: string): void {
  if (!USERNAME.test(username)) throw new DomainError('username_invalid', `username "${username}" must be 1-64 of A-Z a-z 0-9 . _ @ - and start with a letter or digit`);
}

/** The domain only ever sees hashes; an empty one means the app forgot to hash. */
export function checkSecretHash(hash: string, what: string): void {
  if (hash.length === 0) throw new DomainError('secret_hash_invalid', `${what} hash is empty`);
}

export function grantable(names: readonly string[]): Permission[] {
  const { permissions, unknown } = expandPermissions(names);
  if (unknown.length > 0) throw new DomainError('permission_invalid', `unknown permissions: ${unknown.join(', ')}`, { unknown });
  return permissions;
}
