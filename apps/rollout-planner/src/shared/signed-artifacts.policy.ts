import { Inject, Injectable } from '@nestjs/common';
import { PG_POOL } from '@rollgate/service-kit';
import { DomainError } from '@rollgate/shared-domain';
import type { Pool } from 'pg';

/**
 * A distribution set may require signed artifacts (issue 5): while any artifact of its modules carries no
 * verified signature, nothing may be assigned or rolled out with it (422 `unsigned_artifacts_not_allowed`).
 * Used by manual assignment and by rollout creation.
 */
@Injectable()
export class SignedArtifactsPolicy {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async requireSatisfied(tenant: string, distributionSetId: string): Promise<void> {
    const { rows } = await this.pool.query<{ file_name: string; module_id: string }>(
      `SELECT a.file_name, a.module_id
         FROM distribution_sets d
         CROSS JOIN LATERAL jsonb_array_elements(d.modules) AS m(ref)
         JOIN software_module_artifacts a ON a.tenant = d.tenant AND a.module_id = m.ref->>'id'
        WHERE d.tenant = $1 AND d.id = $2 AND d.require_signed_artifacts AND a.signature IS NULL
        ORDER BY a.module_id, a.file_name LIMIT 10`,
      [tenant, distributionSetId],
    );
    if (rows.length === 0) return;
    const names = rows.map((r) => r.file_name).join(', ');
    throw new DomainError('unsigned_artifacts_not_allowed', `distribution set ${distributionSetId} requires signed artifacts; unsigned: ${names}`, { distributionSetId });
  }
}
