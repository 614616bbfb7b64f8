import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ApiClient } from '../api-client';
import { CliError } from '../cli-context';
import { apiFor, globals, printResource, printRows } from '../cli-output';
import { applyFlags, REQUIRED, REQUIRED_FOR_PLAN, rolloutBodyFromYaml, type RolloutFlags } from '../rollout-config';
import { rolloutId, versionedId } from '../resource-names';
import { renderWatch, watchOutcome, type WatchState } from '../rollout-watch';

type Resource = Record<string, unknown>;
interface Page {
  content: Resource[];
  total: number;
}

const rolloutPath = (id: string, action = ''): string => `/rest/v1/rollouts/${encodeURIComponent(id)}${action}`;

/** The body fields, shared by `create` and `plan`. */
const bodyOptions = (command: Command): Command =>
  command
    .option('-f, --file <rollout.yaml>', 'rollout configuration in the seeds\' format (canary, waves, global)')
    .option('--name <name>')
    .option('--description <text>')
    .option('--distribution-set <id>', 'distribution set to install')
    .option('--filter <fiql>', 'target filter query, e.g. "attribute.region==eu"')
    .option('--strategy <strategy>', 'groups | canary-waves | rolling')
    .option('--groups <n>', 'hawkBit split into n groups (strategy groups)')
    .option('--success-threshold <percent>', 'group success condition, % finished')
    .option('--error-threshold <percent>', 'group error condition, % failed')
    .option('--error-count <n>', 'group error condition, failed devices')
    .option('--error-action <action>', 'PAUSE | STOP | ROLLBACK')
    .option('--max-parallel <n>', 'actions in flight at most')
    .option('--type <type>', 'forced | soft | timeforced | downloadonly');

/** The body from file and flags, its distribution set given by id or `name:version`. */
async function bodyFor(api: ApiClient, options: RolloutFlags & { file?: string }, required = REQUIRED): Promise<Resource> {
  const body = bodyFrom(options, required);
  body.distributionSetId = await versionedId(api, 'distributionsets', String(body.distributionSetId));
  return body;
}

function bodyFrom(options: RolloutFlags & { file?: string }, required = REQUIRED): Resource {
  if (!options.file) return applyFlags({}, options, required);
  let text: string;
  try {
    text = readFileSync(options.file, 'utf8');
  } catch {
    throw new CliError('file_not_found', `cannot read ${options.file}`);
  }
  const { body, ignored } = rolloutBodyFromYaml(text, options, required);
  if (ignored.length > 0) console.error(`note: not sent (the API has no field for them): ${ignored.join(', ')}`);
  return body;
}

export function registerRollouts(program: Command): void {
  const rollouts = program.command('rollouts').alias('rollout').description('plan, create, approve, run and watch rollouts');

  bodyOptions(rollouts.command('create').description('create a rollout from a YAML file and/or flags')).action(async (o: RolloutFlags & { file?: string }, command: Command) => {
    const api = apiFor(command);
    const created = await api.post<Resource>('/rest/v1/rollouts', await bodyFor(api, o));
    printResource(command, summary(created));
  });

  bodyOptions(rollouts.command('plan').description('dry run: the groups by device type and region, the forecast and why each target is where it is; nothing is created'))
    .option('--seed <seed>', 'replay a plan exactly (a rollout\'s seed is in its audit history)')
    .option('--explain <n>', 'show the first n per-target explanations', '10')
    .action(async (o: RolloutFlags & { file?: string; seed?: string; explain: string }, command: Command) => {
    const api = apiFor(command);
    const body = await bodyFor(api, o, REQUIRED_FOR_PLAN);
    if (o.seed) body.seed = o.seed;
    const plan = await api.post<Resource>('/rest/v1/rollouts/plan', body, { limit: Math.max(1, Number(o.explain) || 10) });
    if (globals(command).output === 'json') return void console.log(JSON.stringify(plan, null, 2));
    printPlan(plan);
  });

  rollouts
    .command('list')
    .option('-q, --query <fiql>', 'FIQL filter, e.g. status==running')
    .option('--limit <n>', 'page size', '50')
    .description('list rollouts')
    .action(async (o: { query?: string; limit: string }, command: Command) => {
      const page = await apiFor(command).get<Page>('/rest/v1/rollouts', { q: o.query, limit: o.limit });
      printRows(command, page.content, [
        { header: 'ID', value: (r) => r.id }, { header: 'NAME', value: (r) => r.name }, { header: 'STATUS', value: (r) => r.status },
        { header: 'TARGETS', value: (r) => r.totalTargets }, { header: 'GROUPS', value: (r) => r.totalGroups }, { header: 'DS', value: (r) => r.distributionSetId },
      ], page);
    });

  rollouts.command('get').argument('<rollout>', 'id or name').description('a rollout with its groups').action(async (name: string, _o: unknown, command: Command) => {
    const api = apiFor(command);
    const id = await rolloutId(api, name);
    const [rollout, groups] = await Promise.all([api.get<Resource>(rolloutPath(id)), api.get<Page>(rolloutPath(id, '/deploygroups'), { limit: 500 })]);
    if (globals(command).output === 'json') return void console.log(JSON.stringify({ ...rollout, deploygroups: groups.content }, null, 2));
    printResource(command, summary(rollout));
    console.log('');
    printRows(command, groups.content, [
      { header: 'GROUP', value: (g) => g.name }, { header: 'STATUS', value: (g) => g.status }, { header: 'TARGETS', value: (g) => g.totalTargets },
      { header: 'PER STATUS', value: (g) => perStatusText(g.totalTargetsPerStatus) },
    ]);
  });

  const transition = (name: string, action: string, description: string, withRemark = false) => {
    const command = rollouts.command(name).argument('<rollout>', 'id or name').description(description);
    if (withRemark) command.option('--remark <text>', 'remark recorded with the decision');
    command.action(async (reference: string, o: { remark?: string }, cmd: Command) => {
      const api = apiFor(cmd);
      const id = await rolloutId(api, reference);
      const answer = await api.post<Resource | undefined>(rolloutPath(id, action), undefined, withRemark ? { remark: o.remark } : undefined);
      if (answer && typeof answer === 'object' && 'status' in answer) console.log(`rollout ${String(answer.name ?? id)}: ${String(answer.status)}`);
      else console.log(`rollout ${id}: ${name} requested`);
    });
  };
  transition('approve', '/approve', 'approve a rollout waiting for approval', true);
  transition('deny', '/deny', 'deny a rollout waiting for approval', true);
  transition('start', '/start', 'start a ready rollout');
  transition('pause', '/pause', 'pause a running rollout');
  transition('resume', '/resume', 'resume a paused rollout');
  transition('stop', '/stop', 'stop a rollout: cancels every open action');
  transition('trigger-next', '/triggerNextGroup', 'start the next group now');
  transition('retry', '/retry', 'a new rollout over the targets that failed');

  rollouts
    .command('watch')
    .argument('<rollout>', 'id or name')
    .option('--interval <ms>', 'poll interval', '1000')
    .option('--timeout <seconds>', 'give up (exit 2) after this long')
    .description('live view per group: bars, counts by status, gate verdict; exit 0 when finished, 1 if stopped or rolled back')
    .action(async (reference: string, o: { interval: string; timeout?: string }, command: Command) => {
      const api = apiFor(command);
      process.exitCode = await watch(api, await rolloutId(api, reference), Number(o.interval), o.timeout ? Number(o.timeout) * 1000 : undefined);
    });
}

function summary(r: Resource): Resource {
  return { id: r.id, name: r.name, status: r.status, distributionSetId: r.distributionSetId, targetFilterQuery: r.targetFilterQuery, totalTargets: r.totalTargets, totalGroups: r.totalGroups, approveDecidedBy: r.approveDecidedBy, approvalRemark: r.approvalRemark };
}

function perStatusText(counts: unknown): string {
  return Object.entries((counts ?? {}) as Record<string, number>).filter(([, n]) => n > 0).map(([k, n]) => `${k}=${n}`).join(' ');
}

/** The dry run's answer (apps/rollout-planner rollout-plan.resources.ts) as a readable summary. */
function printPlan(plan: Resource): void {
  const groups = (plan.groups ?? []) as Resource[];
  const forecast = (plan.forecast ?? {}) as { totalMs?: number; groups?: Array<{ startsAfterMs: number; durationMs: number }> };
  const shares = (counts: unknown) => Object.entries((counts ?? {}) as Record<string, number>).map(([k, n]) => `${k || '-'}=${n}`).join(' ');
  console.log(`${String(plan.strategy)} plan (seed ${String(plan.seed)}): ${String(plan.includedTargets)} of ${String(plan.candidateTargets)} targets in ${groups.length} groups, ${String(plan.excludedTargets)} excluded`);
  for (const [i, g] of groups.entries()) {
    const timing = forecast.groups?.[i];
    const when = timing ? `  starts +${minutes(timing.startsAfterMs)}, takes ${minutes(timing.durationMs)}` : '';
    console.log(`  ${i} ${String(g.name).padEnd(16)} ${String(g.size).padStart(7)} targets  types ${shares(g.byType)}  regions ${shares(g.byRegion)}${when}`);
  }
  if (forecast.totalMs !== undefined) console.log(`forecast: done in about ${minutes(forecast.totalMs)}`);
  for (const warning of (plan.warnings ?? []) as unknown[]) console.log(`warning: ${typeof warning === 'string' ? warning : JSON.stringify(warning)}`);
  const explanations = ((plan.explanations as { content?: Resource[] } | undefined)?.content ?? []);
  for (const e of explanations) console.log(`  ${String(e.targetId)}: ${String(e.message)}`);
}

const minutes = (ms: number): string => `${Math.round(ms / 60_000)} min`;

/**
 * Polls the rollout and redraws. Counts and gate verdicts come from the audit state (the log), which the
 * planner serves when its AuditModule is registered; without it the plain rollout resources are shown.
 */
export async function watch(api: ApiClient, id: string, intervalMs: number, timeoutMs: number | undefined, out: NodeJS.WriteStream = process.stdout): Promise<number> {
  const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
  let previous = '';
  for (;;) {
    const state = await watchState(api, id);
    const frame = renderWatch(state, new Date());
    const body = frame.slice(frame.indexOf('\n'));
    if (out.isTTY) out.write(`\x1b[H\x1b[2J${frame}\n`);
    else if (body !== previous) out.write(`${frame}\n\n`);
    previous = body;
    const outcome = watchOutcome(state);
    if (outcome.done) {
      out.write(`${outcome.message}\n`);
      return outcome.exitCode;
    }
    if (Date.now() >= deadline) {
      out.write(`rollout ${state.name} still ${state.status} after the timeout\n`);
      return 2;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(100, intervalMs)));
  }
}

async function watchState(api: ApiClient, id: string): Promise<WatchState> {
  try {
    const audited = await api.get<WatchState & { rolloutId: string }>(rolloutPath(id, '/audit/state'));
    return { ...audited, id: audited.rolloutId };
  } catch (error) {
    if (!(error instanceof CliError) || error.code !== 'not_found') throw error;
  }
  const [rollout, groups] = await Promise.all([api.get<Resource>(rolloutPath(id)), api.get<Page>(rolloutPath(id, '/deploygroups'), { limit: 500 })]);
  return {
    id: String(rollout.id), name: String(rollout.name), status: String(rollout.status), totalTargets: Number(rollout.totalTargets),
    totalTargetsPerStatus: (rollout.totalTargetsPerStatus ?? {}) as Record<string, number>,
    groups: groups.content.map((g, index) => ({ index, name: String(g.name), status: String(g.status), totalTargets: Number(g.totalTargets), totalTargetsPerStatus: (g.totalTargetsPerStatus ?? {}) as Record<string, number> })),
  };
}
