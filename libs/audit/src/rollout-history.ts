import { streamKey, type AuditEvent } from './audit-event';

export interface HistoryEntry {
  position: string;
  at: string;
  stream: string;
  event: string;
  /** who issued it: a user (`user:alice`), a token or a service */
  actor: string;
  /** why it happened: the event's own reason or cause, else the event that caused it */
  cause?: string;
  summary: string;
}

type Data = Record<string, unknown>;
const str = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** Words for the events an auditor meets most; anything else is shown by its payload's scalar fields. */
const SUMMARIES: Record<string, (d: Data) => string> = {
  'rollout-created': (d) => `rollout "${str(d.name)}" created for distribution set ${str(d.distributionSetId)}, filter "${str(d.targetFilterQuery)}", ${groupsOf(d)} group(s), plan ${str((d.plan as Data | undefined)?.hash).slice(0, 12)}`,
  'rollout-approval-requested': (d) => `approval requested (quorum ${str(d.quorum)})`,
  'rollout-approval-given': (d) => `approved by ${str(d.approver)}${d.remark ? `: "${str(d.remark)}"` : ''}`,
  'rollout-approved': (d) => `approval complete (${(d.approvers as string[] | undefined)?.join(', ') ?? ''})`,
  'rollout-approval-denied': (d) => `denied by ${str(d.approver)}${d.remark ? `: "${str(d.remark)}"` : ''}`,
  'rollout-starting': (d) => `start requested by ${str(d.by)}`,
  'rollout-started': () => 'rollout running',
  'rollout-group-triggered': (d) => `group ${str(d.groupId)} triggered (${str(d.reason)})`,
  'rollout-group-succeeded': (d) => `group ${str(d.groupId)} succeeded`,
  'rollout-group-failed': (d) => `group ${str(d.groupId)} failed, error action ${str(d.errorAction)}`,
  'rollout-paused': (d) => `paused (${str(d.reason)}${d.by ? ` by ${str(d.by)}` : ''})`,
  'rollout-resumed': (d) => `resumed by ${str(d.by)}`,
  'rollout-stopping': (d) => `stopping (${str(d.reason)}${d.by ? ` by ${str(d.by)}` : ''}${d.groupId ? `, group ${str(d.groupId)}` : ''})`,
  'rollout-rollback-requested': (d) => `rollback to distribution set ${str(d.distributionSetId)} requested (group ${str(d.groupId)})`,
  'rollout-stopped': () => 'rollout stopped',
  'rollout-finished': () => 'rollout finished',
  'group-created': (d) => `group ${str(d.index)} "${str(d.name)}" created`,
  'group-members-added': (d) => `${(d.targetIds as unknown[] | undefined)?.length ?? 0} members added (chunk ${str(d.chunk)})`,
  'group-ready': (d) => `group ready: ${str(d.size)} members, action ids from ${str(d.firstActionId)}`,
  'group-started': (d) => `group started (${str(d.size)} devices${d.released !== undefined ? `, ${str(d.released)} released` : ''})`,
  'group-gate-requested': (d) => `health gate ${str(d.gate)} requested at ${countersText(d.counters)}`,
  'group-gate-passed': (d) => `health gate passed (verdict ${str(d.verdictId)})`,
  'group-gate-failed': (d) => `health gate FAILED (verdict ${str(d.verdictId)}): ${str(d.reason)}`,
  'group-success-condition-met': (d) => `success condition met at ${countersText(d.counters)}, then ${str(d.successAction)}`,
  'group-error-condition-met': (d) => `error condition met (${str(d.cause)}) at ${countersText(d.counters)}, then ${str(d.errorAction)}`,
  'group-finished': (d) => `group finished at ${countersText(d.counters)}`,
  'gate-evaluated': (d) => `gate ${str(d.gate)} on group ${str(d.groupId)}: ${str(d.verdict)}${d.reason ? ` (${str(d.reason)})` : ''}`,
  'rollback-triggered': (d) => `rollback trigger ${str(d.trigger)} -> ${str(d.action)}${Array.isArray(d.controllerIds) ? ` for ${d.controllerIds.length} device(s)` : ''}`,
  'action-created': (d) => `action for ${str(d.targetId)} (${str(d.status)})`,
  'action-feedback-received': (d) => `device feedback ${str(d.execution)}/${str(d.finished)}: ${str(d.from)} -> ${str(d.status)}`,
  'action-timed-out': (d) => `timed out after ${str(d.timeoutMs)} ms without progress`,
  'action-canceled': (d) => `canceled${d.by ? ` by ${str(d.by)}` : ''}`,
};

function groupsOf(d: Data): number {
  return ((d.plan as { groups?: unknown[] } | undefined)?.groups ?? []).length;
}

function countersText(counters: unknown): string {
  const c = (counters ?? {}) as Record<string, number>;
  return `${c.finished ?? 0} finished, ${c.error ?? 0} error of ${c.total ?? 0}`;
}

function genericSummary(d: Data): string {
  return Object.entries(d)
    .filter(([key, v]) => key !== 'at' && (typeof v !== 'object' || v === null))
    .map(([key, v]) => `${key}=${str(v)}`)
    .join(' ');
}

/** Why: an explicit reason in the payload beats the causing event's id. */
function causeOf(e: AuditEvent): string | undefined {
  for (const key of ['reason', 'cause', 'trigger']) if (typeof e.data[key] === 'string') return `${key}: ${e.data[key]}`;
  return e.causationId ? `event ${e.causationId}` : undefined;
}

export function historyEntry(e: AuditEvent): HistoryEntry {
  const summarize = SUMMARIES[e.name] ?? genericSummary;
  return {
    position: e.position, at: e.recordedAt, stream: e.streamId, event: e.name,
    actor: e.actor ?? (typeof e.data.by === 'string' ? `user:${e.data.by}` : e.source ?? 'system'),
    cause: causeOf(e), summary: summarize(e.data),
  };
}

export function rolloutHistory(events: readonly AuditEvent[]): HistoryEntry[] {
  return events.map(historyEntry);
}

/** One line per event: time, stream, event, actor, summary and cause, aligned for a terminal. */
export function formatHistory(entries: readonly HistoryEntry[]): string {
  return entries
    .map((h) => `${h.at}  ${shortStream(h.stream).padEnd(24)} ${h.event.padEnd(30)} ${h.actor.padEnd(28)} ${h.summary}${h.cause ? `  [${h.cause}]` : ''}`)
    .join('\n');
}

function shortStream(streamId: string): string {
  const kind = streamId.slice(0, streamId.indexOf('-'));
  const key = streamKey(streamId);
  return `${kind}:${key.length > 16 ? `${key.slice(0, 15)}…` : key}`;
}
