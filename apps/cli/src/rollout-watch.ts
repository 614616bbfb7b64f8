/** What `rollgate rollouts watch` shows each tick (from the audit state, or the plain rollout resources). */
export interface WatchGroup {
  index: number;
  name: string;
  status: string;
  totalTargets: number;
  totalTargetsPerStatus: Record<string, number>;
  gate?: string;
}

export interface WatchState {
  id: string;
  name: string;
  status: string;
  stopReason?: string;
  totalTargets: number;
  totalTargetsPerStatus: Record<string, number>;
  groups: WatchGroup[];
}

export type WatchOutcome = { done: false } | { done: true; exitCode: number; message: string };

/**
 * CI pipelines gate on the exit status: 0 once the rollout finished; 1 when it stopped, rolled back or was
 * refused (approval denied, deleted). Paused and waiting states keep the watch going.
 */
export function watchOutcome(state: WatchState): WatchOutcome {
  switch (state.status) {
    case 'finished':
      return { done: true, exitCode: 0, message: `rollout ${state.name} finished` };
    case 'stopping':
    case 'stopped':
      return { done: true, exitCode: 1, message: `rollout ${state.name} ${state.stopReason === 'rollback' ? 'was rolled back' : 'stopped'}${state.stopReason ? ` (${state.stopReason})` : ''}` };
    case 'approval_denied':
    case 'deleting':
    case 'deleted':
      return { done: true, exitCode: 1, message: `rollout ${state.name} is ${state.status.replace('_', ' ')}` };
    default:
      return { done: false };
  }
}

const BAR = 24;
const COLUMNS = ['finished', 'running', 'scheduled', 'error', 'cancelled', 'notstarted'] as const;

/** A bar of finished (#), errors (x) and in flight (~) out of the group's targets. */
export function progressBar(counts: Record<string, number>, total: number): string {
  if (total === 0) return `[${' '.repeat(BAR)}]`;
  const cells = (n: number) => Math.round((n / total) * BAR);
  const finished = cells(counts.finished ?? 0);
  const errors = Math.min(BAR - finished, cells((counts.error ?? 0) + (counts.cancelled ?? 0)));
  const running = Math.min(BAR - finished - errors, cells(counts.running ?? 0));
  return `[${'#'.repeat(finished)}${'x'.repeat(errors)}${'~'.repeat(running)}${'.'.repeat(BAR - finished - errors - running)}]`;
}

export function renderWatch(state: WatchState, at: Date): string {
  const done = (c: Record<string, number>) => (c.finished ?? 0) + (c.error ?? 0) + (c.cancelled ?? 0);
  const percent = (c: Record<string, number>, total: number) => `${total === 0 ? 100 : Math.floor((done(c) * 100) / total)}%`.padStart(4);
  const header = `Rollout ${state.name} (${state.id})   status: ${state.status}${state.stopReason ? ` (${state.stopReason})` : ''}   ${at.toISOString()}`;
  const head = `  ${'GROUP'.padEnd(22)} ${'STATUS'.padEnd(17)} ${'PROGRESS'.padEnd(BAR + 2)} ${'%'.padStart(4)}  ${COLUMNS.map((c) => c.slice(0, 4).toUpperCase().padStart(5)).join('')}  GATE`;
  const rows = state.groups.map((g) => {
    const counts = g.totalTargetsPerStatus;
    return `  ${`${g.index} ${g.name}`.slice(0, 22).padEnd(22)} ${g.status.padEnd(17)} ${progressBar(counts, g.totalTargets)} ${percent(counts, g.totalTargets)}  ${COLUMNS.map((c) => String(counts[c] ?? 0).padStart(5)).join('')}  ${g.gate ?? '-'}`;
  });
  const total = state.totalTargetsPerStatus;
  const footer = `  ${'total'.padEnd(22)} ${''.padEnd(17)} ${progressBar(total, state.totalTargets)} ${percent(total, state.totalTargets)}  ${COLUMNS.map((c) => String(total[c] ?? 0).padStart(5)).join('')}`;
  return [header, head, ...rows, footer].join('\n');
}
