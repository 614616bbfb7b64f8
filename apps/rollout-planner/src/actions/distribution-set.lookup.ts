import type { Pool } from 'pg';
import { toSet, type SetRow } from '../catalog/distribution-set.resource';

/** A distribution set of the tenant as the API shows it, or undefined (deleted, or never existed). */
export async function distributionSetById(pool: Pool, tenant: string, id: string): Promise<Record<string, unknown> | undefined> {
  const { rows } = await pool.query<SetRow>('SELECT * FROM distribution_sets WHERE tenant = $1 AND id = $2', [tenant, id]);
  return rows[0] ? toSet(rows[0]) : undefined;
}
