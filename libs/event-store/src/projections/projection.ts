import type { PoolClient } from 'pg';
import type { StoredEvent } from '../types';

/** Maps a projection's logical table name to the physical table in use (live or being rebuilt). */
export type TableNames = (logical: string) => string;

/**
 * A read model fed from the log. The runner calls `apply` with batches of events in log order inside a
 * transaction that also stores the checkpoint, so a crash can never apply a batch twice or lose one.
 * Projections write only through the `tables` mapper so that a rebuild can run into fresh tables.
 */
export interface Projection {
  /** unique; used for the checkpoint and the lock */
  name: string;
  /** logical names of every table the projection owns */
  tables: string[];
  /**
   * creates the tables (with their indexes) under the given physical names. Leave index and constraint
   * names to PostgreSQL (`CREATE INDEX ON t (...)`): it picks unused ones, so a rebuild can create the
   * same tables again beside the live ones.
   */
  createTables(db: PoolClient, tables: TableNames): Promise<void>;
  /** applies a batch of events; ignore types you do not handle */
  apply(db: PoolClient, events: StoredEvent[], tables: TableNames): Promise<void>;
}

export const liveTables: TableNames = (logical) => logical;
export const rebuildTables: TableNames = (logical) => `${logical}__rebuild`;

export function checkpointName(projection: Pick<Projection, 'name'>): string {
  return `projection:${projection.name}`;
}

/** A stable advisory-lock key per projection (serialises live batches, other instances, and a rebuild's swap). */
export function projectionLockKey(projection: Pick<Projection, 'name'>): number {
  let hash = 0x811c9dc5;
  for (const char of projection.name) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
  return hash | 0;
}
