import type { Pool, PoolClient } from 'pg';
import { InfrastructureError } from '@rollgate/shared-domain';

/**
 * Runs `work` in one transaction on a pooled client: BEGIN, work, COMMIT; ROLLBACK on any error. A
 * COMMIT that PostgreSQL turns into a ROLLBACK (the work swallowed an SQL error, leaving the transaction
 * aborted) is a failure, not a success. A client whose ROLLBACK fails is discarded, never reused.
 */
export async function inTransaction<T>(pool: Pool, work: (tx: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    const commit = await client.query('COMMIT');
    if (commit.command === 'ROLLBACK') {
      throw new InfrastructureError('transaction_aborted', 'the transaction was aborted by an earlier error and rolled back at commit', undefined);
    }
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
