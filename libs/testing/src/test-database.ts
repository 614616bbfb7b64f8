import { Client } from 'pg';
import { POSTGRES_ADMIN_URL, runToken } from './infra-urls';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database on the real PostgreSQL for one test file. Tests never share state through the
 * database, so they can run in parallel and leave nothing behind.
 */
export async function createTestDatabase(prefix = 'rg_test'): Promise<TestDatabase> {
  const name = `${prefix}_${runToken()}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`));
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

async function withAdmin<T>(work: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}
