import type { PoolClient } from 'pg';
import type { Projection, StoredEvent, TableNames } from '@rollgate/event-store';

/**
 * Read models of the catalog and identity, as event-store projections. They live in this infra lib (not in
 * rollout-planner) so that the CLI can rebuild them too.
 */
export type ReadModelProjection = Projection;
export type SqlClient = Pick<PoolClient, 'query'>;
export type LoggedEvent = StoredEvent;
export type { TableNames };

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
