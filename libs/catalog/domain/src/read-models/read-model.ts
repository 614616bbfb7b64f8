/**
 * Read models of the catalog, shaped to satisfy the event store's `Projection` interface structurally. They
 * live in this lib (not in rollout-planner) so that the CLI can rebuild them too; a domain lib may not import
 * `pg` or the event store, so the client and the event are described here by what is used of them. The SQL
 * runs only when an adapter (ProjectionRunner, rebuildProjection) hands in a client.
 */
export interface SqlClient {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

export interface LoggedEvent {
  tenant: string;
  streamId: string;
  type: string;
  data: unknown;
  recordedAt: Date;
}

export type TableNames = (logical: string) => string;

export interface ReadModelProjection {
  name: string;
  tables: string[];
  createTables(db: SqlClient, tables: TableNames): Promise<void>;
  apply(db: SqlClient, events: LoggedEvent[], tables: TableNames): Promise<void>;
}

/** `io.rollgate.<aggregate>.<event>.v<n>` → its aggregate and event name. */
export function eventName(type: string): { aggregate: string; event: string } {
  const [, , aggregate = '', event = ''] = type.split('.');
  return { aggregate, event };
}

/**
 * Applies each event of the given aggregate in log order. Per event, because the batches a write waits for
 * are small; bulk imports that need set-based SQL get their own projection path later.
 */
export async function applyEach(events: LoggedEvent[], aggregate: string, apply: (event: string, e: LoggedEvent) => Promise<void>): Promise<void> {
  for (const e of events) {
    const name = eventName(e.type);
    if (name.aggregate === aggregate) await apply(name.event, e);
  }
}

/** The aggregate id of a `<aggregate>-<id>` stream. */
export function streamKey(streamId: string): string {
  return streamId.slice(streamId.indexOf('-') + 1);
}
