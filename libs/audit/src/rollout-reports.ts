import type { AuditEvent } from './audit-event';
import type { EvidenceBundle } from './evidence-bundle';
import { escapeHtml, groupTimeline, timelineSvg } from './group-timeline';
import type { Incident } from './rollout-incidents';
import type { TargetsPerStatus } from './rollout-replay';

const COUNT_KEYS: Array<keyof TargetsPerStatus> = ['notstarted', 'scheduled', 'running', 'finished', 'error', 'cancelled'];

/** The deployment report of a rollout (Markdown): timeline, counts, gate decisions, who approved what. */
export function deploymentReport(bundle: EvidenceBundle, events: readonly AuditEvent[]): string {
  const r = bundle.rollout;
  const spans = groupTimeline(events);
  const lines = [
    `# Deployment report: ${r.name}`,
    '',
    `- rollout: ${r.rolloutId} (tenant ${bundle.tenant})`,
    `- status: **${r.status}**${r.stopReason ? ` (stop reason: ${r.stopReason})` : ''}`,
    `- distribution set: ${r.distributionSetId}; strategy ${bundle.plan.strategy}; plan ${bundle.plan.hash}${bundle.plan.seed ? `, seed ${bundle.plan.seed}` : ''}`,
    `- created by ${bundle.plan.createdBy} at ${bundle.plan.createdAt}; ${r.totalTargets} targets in ${r.groups.length} groups`,
    '',
    '## Timeline',
    '',
    '| group | started | ended | outcome |',
    '| --- | --- | --- | --- |',
    ...spans.map((s) => `| ${s.index}: ${s.name} | ${s.startedAt ?? '-'} | ${s.endedAt ?? '-'} | ${s.outcome} |`),
    '',
    '## Counts',
    '',
    `| group | status | total | ${COUNT_KEYS.join(' | ')} |`,
    `| --- | --- | --- | ${COUNT_KEYS.map(() => '---').join(' | ')} |`,
    ...r.groups.map((g) => `| ${g.index}: ${g.name} | ${g.status} | ${g.totalTargets} | ${COUNT_KEYS.map((k) => g.totalTargetsPerStatus[k]).join(' | ')} |`),
    `| all | ${r.status} | ${r.totalTargets} | ${COUNT_KEYS.map((k) => r.totalTargetsPerStatus[k]).join(' | ')} |`,
    '',
    '## Gate decisions',
    '',
    ...(bundle.gates.length === 0 ? ['No health gate was asked.'] : ['| at | group | gate | step | verdict | reason |', '| --- | --- | --- | --- | --- | --- |']),
    ...bundle.gates.map((g) => `| ${g.at} | ${g.groupId} | ${g.gate ?? ''} | ${g.step} | ${g.verdict ?? ''} | ${cell(g.reason ?? '')} |`),
    '',
    '## Approvals',
    '',
    ...(bundle.approvals.length === 0 ? ['No approval was required.'] : ['| at | event | by | remark | plan |', '| --- | --- | --- | --- | --- |']),
    ...bundle.approvals.map((a) => `| ${a.at} | ${a.event} | ${a.approver ?? a.actor} | ${cell(a.remark ?? '')} | ${(a.planHash ?? '').slice(0, 12)} |`),
    '',
    `## Incidents`,
    '',
    ...(bundle.incidents.length === 0 ? ['None.'] : bundle.incidents.map((i) => `- ${i.at} ${i.kind}${i.groupId ? ` in group ${i.groupId}` : ''}: ${i.cause}`)),
    '',
  ];
  return lines.join('\n');
}

/** One incident report (Markdown) per automatic stop or rollback. */
export function incidentReport(bundle: EvidenceBundle, incident: Incident): string {
  const r = bundle.rollout;
  return [
    `# Incident: ${incident.kind} of rollout ${r.name}`,
    '',
    `- when: ${incident.at} (log position ${incident.position})`,
    `- rollout: ${r.rolloutId} (tenant ${bundle.tenant}), now **${r.status}**`,
    ...(incident.groupId ? [`- group: ${incident.groupId}`] : []),
    `- cause: ${incident.cause}`,
    '',
    '## Evidence',
    '',
    '```json',
    JSON.stringify(incident.evidence ?? null, null, 2),
    '```',
    '',
    '## Response',
    '',
    ...(incident.response.length === 0 ? ['(none recorded)'] : incident.response.map((step) => `- ${step.at} ${step.event}: ${step.summary}`)),
    '',
    ...recordLines(incident.record),
    '## Devices at the end',
    '',
    `| ${COUNT_KEYS.join(' | ')} |`,
    `| ${COUNT_KEYS.map(() => '---').join(' | ')} |`,
    `| ${COUNT_KEYS.map((k) => r.totalTargetsPerStatus[k]).join(' | ')} |`,
    '',
  ].join('\n');
}

/** The scheduler's incident record: which rollback rollouts it made and what it could not roll back. */
function recordLines(record: Record<string, unknown> | undefined): string[] {
  if (!record) return [];
  const rollbacks = (Array.isArray(record.rollbackRollouts) ? record.rollbackRollouts : []) as Array<{ rolloutId?: string; distributionSetId?: string; devices?: number }>;
  return [
    '## Incident record',
    '',
    `- incident ${String(record.incidentId ?? '-')}: ${String(record.cause ?? '')}`,
    ...rollbacks.map((r) => `- rollback rollout ${String(r.rolloutId)}: ${String(r.devices ?? 0)} device(s) back to distribution set ${String(r.distributionSetId)}`),
    ...(typeof record.devicesWithoutPrevious === 'number' && record.devicesWithoutPrevious > 0 ? [`- ${record.devicesWithoutPrevious} device(s) had no previous distribution set to return to`] : []),
    '',
  ];
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The readable HTML of an evidence bundle: summary, timeline chart (inline SVG), gates, approvals, devices. */
export function bundleHtml(bundle: EvidenceBundle, events: readonly AuditEvent[]): string {
  const r = bundle.rollout;
  const h = escapeHtml;
  const table = (head: string[], rows: Array<Array<string | number | undefined>>) =>
    `<table><thead><tr>${head.map((c) => `<th>${h(c)}</th>`).join('')}</tr></thead><tbody>${rows.map((row) => `<tr>${row.map((c) => `<td>${h(String(c ?? ''))}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  const end = bundle.history[bundle.history.length - 1]?.at ?? bundle.generatedAt;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${h(`Rollgate evidence: ${r.name}`)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#111}table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}th{background:#f3f3f3}code{font-size:12px}</style>
</head><body>
<h1>${h(`Rollout ${r.name}`)}</h1>
<p>Rollout <code>${h(r.rolloutId)}</code>, tenant <code>${h(bundle.tenant)}</code>, status <strong>${h(r.status)}</strong>${r.stopReason ? ` (stop reason ${h(r.stopReason)})` : ''}.
Distribution set <code>${h(r.distributionSetId)}</code>. Plan <code>${h(bundle.plan.hash)}</code>${bundle.plan.seed ? `, seed <code>${h(bundle.plan.seed)}</code>` : ''}, strategy ${h(bundle.plan.strategy)}.
Bundle generated ${h(bundle.generatedAt)} from ${bundle.log.events} log events (positions ${h(bundle.log.firstPosition ?? '-')}…${h(bundle.log.lastPosition ?? '-')}).</p>
<h2>Timeline</h2>
${timelineSvg(groupTimeline(events), end)}
<h2>Groups</h2>
${table(['group', 'status', 'total', ...COUNT_KEYS], r.groups.map((g) => [`${g.index}: ${g.name}`, g.status, g.totalTargets, ...COUNT_KEYS.map((k) => g.totalTargetsPerStatus[k])]))}
<h2>Approvals</h2>
${table(['at', 'event', 'by', 'remark', 'plan'], bundle.approvals.map((a) => [a.at, a.event, a.approver ?? a.actor, a.remark, a.planHash]))}
<h2>Gate decisions</h2>
${table(['at', 'group', 'gate', 'step', 'verdict', 'reason', 'inputs'], bundle.gates.map((g) => [g.at, g.groupId, g.gate, g.step, g.verdict, g.reason, JSON.stringify(g.inputs ?? null)]))}
<h2>Incidents</h2>
${table(['at', 'kind', 'group', 'cause'], bundle.incidents.map((i) => [i.at, i.kind, i.groupId, i.cause]))}
<h2>Artifacts</h2>
${table(['file', 'sha256', 'sha1', 'md5', 'size'], bundle.artifacts.map((a) => [a.fileName, a.sha256, a.sha1, a.md5, a.size]))}
<h2>Devices (final state)</h2>
${table(['target', 'group', 'action', 'status', 'last event'], bundle.devices.map((d) => [d.targetId, d.groupId, d.actionId, d.status, d.lastEventAt]))}
<h2>History</h2>
${table(['at', 'stream', 'event', 'actor', 'summary', 'cause'], bundle.history.map((e) => [e.at, e.stream, e.event, e.actor, e.summary, e.cause]))}
</body></html>
`;
}
