import { streamKey, type AuditEvent } from './audit-event';

/** An automatic stop or rollback, with what caused it and what was done. */
export interface Incident {
  at: string;
  kind: 'emergency-stop' | 'rollback' | 'rollback-trigger' | 'incident-record';
  groupId?: string;
  /** what the log says caused it: a threshold, a failed health gate, a trigger with its evidence */
  cause: string;
  evidence?: unknown;
  /** the events that answered it (stop, rollback request, rollback rollout, incident record) */
  response: Array<{ at: string; event: string; summary: string }>;
  position: string;
  /** the scheduler's incident record (rollout-incident-recorded): rollback rollouts made, devices left */
  record?: Record<string, unknown>;
}

/**
 * Incidents from the log: `rollout-stopping` for reason emergency or rollback (a manual stop is not one),
 * `rollback-triggered` from health-evaluator, and the scheduler's own incident records. The cause is the
 * latest preceding error condition or failed gate of the same group.
 */
export function incidentsOf(events: readonly AuditEvent[]): Incident[] {
  const incidents: Incident[] = [];
  events.forEach((e, i) => {
    if (e.name === 'rollout-stopping' && (e.data.reason === 'emergency' || e.data.reason === 'rollback')) {
      const groupId = typeof e.data.groupId === 'string' ? e.data.groupId : undefined;
      const cause = causeBefore(events, i, groupId);
      incidents.push({
        at: e.recordedAt, kind: e.data.reason === 'rollback' ? 'rollback' : 'emergency-stop', groupId, position: e.position,
        cause: cause?.text ?? `stop reason ${String(e.data.reason)}`, evidence: cause?.evidence, response: responsesAfter(events, i),
      });
    } else if (e.name === 'rollback-triggered') {
      incidents.push({
        at: e.recordedAt, kind: 'rollback-trigger', groupId: e.data.groupId as string | undefined, position: e.position,
        cause: `trigger ${String(e.data.trigger)} -> ${String(e.data.action)}`, evidence: e.data.evidence, response: responsesAfter(events, i),
      });
    } else if (e.name.includes('incident')) {
      // The scheduler's record completes the stop or trigger it follows; on its own it is an incident too.
      const open = incidents[incidents.length - 1];
      if (open && !open.record && open.kind !== 'incident-record') {
        open.record = e.data;
        return;
      }
      incidents.push({
        at: e.recordedAt, kind: 'incident-record', groupId: e.data.groupId as string | undefined, position: e.position,
        cause: String(e.data.cause ?? e.data.reason ?? e.name), evidence: e.data.counters, response: [], record: e.data,
      });
    }
  });
  return incidents;
}

function causeBefore(events: readonly AuditEvent[], index: number, groupId: string | undefined): { text: string; evidence: unknown } | undefined {
  for (let i = index - 1; i >= 0; i--) {
    const e = events[i];
    const sameGroup = !groupId || (e.streamId.startsWith('rolloutgroup-') ? streamKey(e.streamId) === groupId : e.data.groupId === groupId);
    if (!sameGroup) continue;
    // A failed gate's own verdict (reason, evidence) is the better cause than the error condition it set off.
    if (e.name === 'group-error-condition-met' && e.data.cause === 'health-gate') continue;
    if (e.name === 'group-error-condition-met') return { text: `group ${groupId ?? streamKey(e.streamId)} error condition (${String(e.data.cause)}), error action ${String(e.data.errorAction)}`, evidence: e.data.counters };
    if (e.name === 'gate-evaluated' && e.data.verdict === 'FAIL') return { text: `health gate ${String(e.data.gate)} FAIL: ${String(e.data.reason ?? '')}`, evidence: e.data.evidence };
    if (e.name === 'rollback-triggered') return { text: `rollback trigger ${String(e.data.trigger)}`, evidence: e.data.evidence };
  }
  return undefined;
}

const RESPONSES = new Set(['rollout-stopping', 'rollout-rollback-requested', 'rollout-stopped', 'rollout-paused']);

function responsesAfter(events: readonly AuditEvent[], index: number): Incident['response'] {
  return events
    .slice(index)
    .filter((e) => e.streamId.startsWith('rollout-') && (RESPONSES.has(e.name) || e.name.includes('incident') || e.name.includes('rollback')))
    .slice(0, 6)
    .map((e) => ({ at: e.recordedAt, event: e.name, summary: JSON.stringify(e.data) }));
}
