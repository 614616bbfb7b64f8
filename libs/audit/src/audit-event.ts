import type { StoredEvent } from '@rollgate/event-store';

/**
 * One log event as the audit tools show and export it: JSON-safe (positions as strings, hashes as hex,
 * times as ISO text), with the short event name split out of `io.rollgate.<aggregate>.<event>.v<n>`.
 */
export interface AuditEvent {
  position: string;
  streamId: string;
  streamVersion: number;
  type: string;
  aggregate: string;
  name: string;
  data: Record<string, unknown>;
  actor?: string;
  causationId?: string;
  correlationId?: string;
  source?: string;
  recordedAt: string;
  hash: string;
}

export function toAuditEvent(event: StoredEvent): AuditEvent {
  const [, , aggregate = '', name = ''] = event.type.split('.');
  const meta = event.metadata ?? {};
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    position: event.position.toString(),
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    type: event.type,
    aggregate,
    name,
    data: (event.data ?? {}) as Record<string, unknown>,
    actor: text(meta.actor),
    causationId: text(meta.causationId),
    correlationId: text(meta.correlationId),
    source: text(meta.source),
    recordedAt: event.recordedAt.toISOString(),
    hash: event.hash.toString('hex'),
  };
}

/** The id part of a `<kind>-<id>` stream (`rollout-r1` → `r1`). */
export function streamKey(streamId: string): string {
  return streamId.slice(streamId.indexOf('-') + 1);
}

export const rolloutStreamId = (rolloutId: string): string => `rollout-${rolloutId}`;
export const groupStreamId = (groupId: string): string => `rolloutgroup-${groupId}`;
export const healthStreamId = (rolloutId: string): string => `health-${rolloutId}`;
export const actionStreamId = (actionId: number): string => `action-${actionId}`;

/** Events recorded at or before the instant, in log order (the input is in log order already). */
export function asOf(events: readonly AuditEvent[], instant: Date | undefined): AuditEvent[] {
  if (!instant) return [...events];
  const limit = instant.getTime();
  return events.filter((e) => Date.parse(e.recordedAt) <= limit);
}
