import { Pool } from 'pg';
import { EventStore } from '@rollgate/event-store';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** A connection to the log for one CLI command; always closed, even when the command fails. */
export async function withLog<T>(databaseUrl: string, work: (pool: Pool, store: EventStore) => Promise<T>): Promise<T> {
  const pool = new Pool({ connectionString: databaseUrl, max: 4 });
  pool.on('error', () => undefined);
  try {
    return await work(pool, new EventStore(pool));
  } catch (error) {
    if ((error as { code?: string }).code === '42P01') {
      throw new CliError('log_not_found', `no event log in ${redact(databaseUrl)}: start the services once (npm start) to create it`);
    }
    if ((error as { code?: string }).code === 'ECONNREFUSED') {
      throw new CliError('database_unreachable', `cannot reach PostgreSQL at ${redact(databaseUrl)} (bash infra/local/up starts it)`);
    }
    throw error;
  } finally {
    await pool.end();
  }
}

/** A failure the user can act on: printed as one line with its code, exit status 1. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(invalid database URL)';
  }
}
