import { ADMIN_PASSWORD, basic, type Planner } from './planner.harness';

/** The credentials a resource spec needs: acme's admin, a read-only and a no-permission user, globex's admin. */
export interface Callers {
  admin: string;
  reader: string;
  nobody: string;
  otherTenant: string;
}

export async function createCallers(planner: Planner, readPermissions: string[]): Promise<Callers> {
  await planner.createUser('acme', 'reader', 'reader-password-1', readPermissions);
  await planner.createUser('acme', 'nobody', 'nobody-password-1', []);
  await planner.createUser('globex', 'admin', 'globex-password-1', ['ROLE_ADMIN']);
  return {
    admin: basic('acme\\admin', ADMIN_PASSWORD),
    reader: basic('acme\\reader', 'reader-password-1'),
    nobody: basic('acme\\nobody', 'nobody-password-1'),
    otherTenant: basic('globex\\admin', 'globex-password-1'),
  };
}
