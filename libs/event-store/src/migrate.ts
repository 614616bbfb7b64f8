import { Client } from 'pg';
import { DataSource, type MigrationInterface } from 'typeorm';
import { CreateEventLog1763780000000 } from './migrations/1763780000000-create-event-log';
import { CreateIdBlocks1764600000000 } from './migrations/1764600000000-create-id-blocks';

export type MigrationClass = new () => MigrationInterface;

/** The event log's own migrations; other libs and apps add theirs after these. */
export const EVENT_STORE_MIGRATIONS: MigrationClass[] = [CreateEventLog1763780000000, CreateIdBlocks1764600000000];

const MIGRATIONS_TABLE = 'rollgate_migrations';
/** Any constant works; it only has to be the same for every process migrating this database. */
const MIGRATION_LOCK_KEY = 7_320_001;

/**
 * Applies pending migrations. Several services start at once against the same database, so the run holds a
 * session advisory lock: the first one migrates, the others wait and then find nothing to do.
 */
export async function runMigrations(databaseUrl: string, migrations: MigrationClass[]): Promise<string[]> {
  return withMigrationLock(databaseUrl, async () => {
    const dataSource = migrationDataSource(databaseUrl, migrations);
    await dataSource.initialize();
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await dataSource.destroy();
    }
  });
}

/** True when every given migration has been applied (what `/readyz` reports). */
export async function migrationsApplied(databaseUrl: string, migrations: MigrationClass[]): Promise<boolean> {
  const dataSource = migrationDataSource(databaseUrl, migrations);
  await dataSource.initialize();
  try {
    return !(await dataSource.showMigrations());
  } finally {
    await dataSource.destroy();
  }
}

function migrationDataSource(databaseUrl: string, migrations: MigrationClass[]): DataSource {
  return new DataSource({
    type: 'postgres',
    url: databaseUrl,
    migrations,
    migrationsTableName: MIGRATIONS_TABLE,
    logging: false,
    poolSize: 1,
  });
}

async function withMigrationLock<T>(databaseUrl: string, work: () => Promise<T>): Promise<T> {
  const lock = new Client({ connectionString: databaseUrl });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return await work();
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.end();
  }
}
