/**
 * Where the real servers are. `infra/local/up` makes them available at these defaults; CI and developers
 * may point elsewhere with the same variables the services read.
 */
export const POSTGRES_ADMIN_URL = process.env.ROLLGATE_TEST_DATABASE_ADMIN_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** A short random token that is safe in database names, stream names and subjects. */
export function runToken(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}
