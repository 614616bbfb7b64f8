import type { Pool, PoolClient } from 'pg';

/** The sequence that numbers actions (DDI action ids), shared by rollout groups and manual assignments. */
export const ACTION_ID_SEQUENCE = 'action';

/**
 * Reserves `count` consecutive ids of the named sequence and answers the first one. Ids start at 1. A
 * reservation whose transaction later fails leaves a gap, never a duplicate (like a database sequence).
 */
export async function reserveIdBlock(db: Pool | PoolClient, name: string, count: number): Promise<number> {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`cannot reserve ${count} ids`);
  const { rows } = await db.query<{ first: string }>(
    `INSERT INTO id_blocks (name, next_id) VALUES ($1, 1 + $2::bigint)
       ON CONFLICT (name) DO UPDATE SET next_id = id_blocks.next_id + $2::bigint
     RETURNING next_id - $2::bigint AS first`,
    [name, count],
  );
  return Number(rows[0].first);
}
