import { Pool } from 'pg';

/**
 * A pool on a test database. pool.end() resolves before closing sockets finish, and dropping the database
 * (WITH FORCE) then terminates them: without an 'error' listener that surfaces as an unhandled error and
 * fails the suite. Every long-lived pool needs the listener; tests get it here.
 */
export function testPool(url: string, max = 8): Pool {
  const pool = new Pool({ connectionString: url, max });
  pool.on('error', () => undefined);
  return pool;
}
