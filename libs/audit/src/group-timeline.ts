import { streamKey, type AuditEvent } from './audit-event';

export interface GroupSpan {
  groupId: string;
  name: string;
  index: number;
  startedAt?: string;
  endedAt?: string;
  outcome: 'pending' | 'running' | 'finished' | 'error' | 'stopped';
  /** gate verdicts on this group, in time */
  marks: Array<{ at: string; label: string; ok: boolean }>;
}

/** When each group ran and how it ended, from its own stream (and the rollout's stop). */
export function groupTimeline(events: readonly AuditEvent[]): GroupSpan[] {
  const spans = new Map<string, GroupSpan>();
  let stoppedAt: string | undefined;
  for (const e of events) {
    if (e.streamId.startsWith('rolloutgroup-')) {
      const id = streamKey(e.streamId);
      if (e.name === 'group-created') spans.set(id, { groupId: id, name: String(e.data.name), index: Number(e.data.index), outcome: 'pending', marks: [] });
      const span = spans.get(id);
      if (!span) continue;
      if (e.name === 'group-started') Object.assign(span, { startedAt: e.recordedAt, outcome: 'running' });
      if (e.name === 'group-finished' && span.outcome !== 'error') Object.assign(span, { endedAt: e.recordedAt, outcome: 'finished' });
      if (e.name === 'group-error-condition-met') Object.assign(span, { endedAt: e.recordedAt, outcome: 'error' });
      if (e.name === 'group-gate-passed') span.marks.push({ at: e.recordedAt, label: 'gate PASS', ok: true });
      if (e.name === 'group-gate-failed') span.marks.push({ at: e.recordedAt, label: `gate FAIL: ${String(e.data.reason ?? '')}`, ok: false });
    } else if (e.name === 'gate-evaluated' && typeof e.data.groupId === 'string') {
      spans.get(e.data.groupId)?.marks.push({ at: e.recordedAt, label: `${String(e.data.gate)} ${String(e.data.verdict)}`, ok: e.data.verdict === 'PASS' });
    } else if (e.name === 'rollout-stopped' && e.streamId.startsWith('rollout-')) {
      stoppedAt = e.recordedAt;
    }
  }
  for (const span of spans.values()) {
    if (span.outcome === 'running' && stoppedAt) Object.assign(span, { endedAt: stoppedAt, outcome: 'stopped' });
  }
  return [...spans.values()].sort((a, b) => a.index - b.index);
}

const COLORS: Record<GroupSpan['outcome'], string> = { pending: '#c8c8c8', running: '#3b82f6', finished: '#16a34a', error: '#dc2626', stopped: '#f59e0b' };

/** An inline SVG Gantt chart of the groups: one row per group, bars coloured by outcome, gate verdicts as dots. */
export function timelineSvg(spans: readonly GroupSpan[], end: string): string {
  const times = spans.flatMap((s) => [s.startedAt, s.endedAt, ...s.marks.map((m) => m.at)]).filter((t): t is string => !!t).map(Date.parse);
  const width = 900;
  const label = 180;
  const row = 26;
  const height = spans.length * row + 40;
  if (times.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="40" role="img"><text x="8" y="24">no group has started</text></svg>`;
  const t0 = Math.min(...times);
  const t1 = Math.max(...times, Date.parse(end));
  const x = (t: number) => label + ((t - t0) / Math.max(1, t1 - t0)) * (width - label - 20);
  const rows = spans.map((s, i) => {
    const y = 10 + i * row;
    const parts = [`<text x="4" y="${y + 15}" font-size="12">${escapeHtml(`${s.index}: ${s.name}`)}</text>`];
    if (s.startedAt) {
      const from = x(Date.parse(s.startedAt));
      const to = x(Date.parse(s.endedAt ?? end));
      parts.push(`<rect x="${from.toFixed(1)}" y="${y + 3}" width="${Math.max(2, to - from).toFixed(1)}" height="16" fill="${COLORS[s.outcome]}"><title>${escapeHtml(`${s.name}: ${s.outcome} ${s.startedAt} → ${s.endedAt ?? 'now'}`)}</title></rect>`);
    }
    for (const m of s.marks) {
      parts.push(`<circle cx="${x(Date.parse(m.at)).toFixed(1)}" cy="${y + 11}" r="5" fill="${m.ok ? '#065f46' : '#7f1d1d'}"><title>${escapeHtml(`${m.at} ${m.label}`)}</title></circle>`);
    }
    return parts.join('');
  });
  const axis = `<text x="${label}" y="${height - 8}" font-size="11">${escapeHtml(new Date(t0).toISOString())}</text><text x="${width - 20}" y="${height - 8}" font-size="11" text-anchor="end">${escapeHtml(new Date(t1).toISOString())}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="group timeline">${rows.join('')}${axis}</svg>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
