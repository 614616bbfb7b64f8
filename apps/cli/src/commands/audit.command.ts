import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { formatHistory, loadOrCreateSigningKey, RolloutAudit, verifyBundle, type HistoryEntry, type RolloutExport, type RolloutSnapshot } from '@rollgate/audit';
import { CliError, withLog } from '../cli-context';
import { activeContext, readConfig } from '../cli-config';
import { apiFor, globals } from '../cli-output';
import { REPO_ROOT } from '../local-stack';

/** The server's audit key of the local stack (the planner's AuditModule uses the same file by default). */
export const DEFAULT_SIGNING_KEY_FILE = join(REPO_ROOT, '.data', 'audit-signing-key.pem');

interface TenantOption {
  tenant?: string;
  api?: boolean;
}

/** --tenant, else the current context's tenant: the log is shared by tenants, an audit reads one. */
function tenantOf(options: TenantOption, command: Command): string {
  if (options.tenant) return options.tenant;
  try {
    return activeContext(readConfig(), globals(command).context).tenant;
  } catch {
    throw new CliError('tenant_missing', 'give --tenant (or set a context with `rollgate context set`)');
  }
}

const tenantOptions = (command: Command): Command =>
  command.option('--tenant <tenant>', 'tenant of the rollout (default: the current context\'s)').option('--api', 'read through the server\'s Management API instead of the database');

export function registerAudit(audit: Command, databaseUrl: () => string): void {
  tenantOptions(audit.command('history').argument('<rollout>', 'rollout id or name').description('every event of the rollout, its groups, actions and health verdicts, with actor and cause'))
    .option('--no-devices', 'leave out the devices\' action events (thousands in a large rollout)')
    .action(async (rollout: string, o: TenantOption & { devices: boolean }, command: Command) => {
      const history = o.api
        ? await apiFor(command).get<{ rolloutId: string; entries: HistoryEntry[] }>(`/rest/v1/rollouts/${encodeURIComponent(rollout)}/audit/history`)
        : await withLog(databaseUrl(), (pool) => new RolloutAudit(pool).history(tenantOf(o, command), rollout));
      if (!o.devices) history.entries = history.entries.filter((e) => !e.stream.startsWith('action-'));
      console.log(globals(command).output === 'json' ? JSON.stringify(history, null, 2) : formatHistory(history.entries));
    });

  tenantOptions(audit.command('replay').argument('<rollout>', 'rollout id or name').description('the rollout\'s state, groups and per-status counts at an instant, rebuilt from the log alone'))
    .requiredOption('--as-of <time>', 'ISO 8601 instant, e.g. 2026-12-01T10:15:00Z')
    .action(async (rollout: string, o: TenantOption & { asOf: string }, command: Command) => {
      const instant = parseInstant(o.asOf);
      const state = o.api
        ? await apiFor(command).get<RolloutSnapshot>(`/rest/v1/rollouts/${encodeURIComponent(rollout)}/audit/state`, { asOf: instant.toISOString() })
        : await withLog(databaseUrl(), (pool) => new RolloutAudit(pool).stateAsOf(tenantOf(o, command), rollout, instant));
      console.log(globals(command).output === 'json' ? JSON.stringify(state, null, 2) : describeSnapshot(state));
    });

  tenantOptions(audit.command('export').argument('<rollout>', 'rollout id or name').description('signed evidence bundle (JSON) with its HTML report, plus the deployment and incident reports'))
    .option('--out <dir>', 'directory to write into', '.')
    .option('--signing-key <pem>', 'Ed25519 private key file of the server (made on first use)', process.env.ROLLGATE_AUDIT_SIGNING_KEY_FILE ?? DEFAULT_SIGNING_KEY_FILE)
    .action(async (rollout: string, o: TenantOption & { out: string; signingKey: string }, command: Command) => {
      const exported = o.api
        ? await apiFor(command).get<RolloutExport>(`/rest/v1/rollouts/${encodeURIComponent(rollout)}/audit/export`)
        : await withLog(databaseUrl(), (pool) => new RolloutAudit(pool).export(tenantOf(o, command), rollout, loadOrCreateSigningKey(o.signingKey)));
      for (const file of writeExport(exported, o.out)) console.log(`wrote ${file}`);
      console.log(`signed by key ${exported.signed.signature.keyId}`);
    });

  audit
    .command('verify-bundle')
    .argument('<bundle.json>', 'evidence bundle written by `rollgate audit export`')
    .option('--report <file.html>', 'also check the HTML report (default: the .html next to the bundle, when present)')
    .option('--key-id <fingerprint>', 'the server\'s published key fingerprint; without it any self-consistent signature passes')
    .description('verify an evidence bundle offline: Ed25519 signature, key fingerprint, report hash; exit 1 when it was changed')
    .action((file: string, o: { report?: string; keyId?: string }) => {
      const signed = readJson(file);
      const reportFile = o.report ?? file.replace(/\.json$/, '.html');
      const report = readOptional(reportFile, o.report !== undefined);
      const result = verifyBundle(signed, { trustedKeyId: o.keyId, report });
      if (!result.ok) {
        console.log(`bundle INVALID: ${result.problem}`);
        process.exitCode = 1;
        return;
      }
      console.log(`bundle verified: signed by key ${result.keyId}${o.keyId ? ' (the trusted key)' : ' (compare with the server\'s published fingerprint, or pass --key-id)'}${report !== undefined ? '; report matches' : ''}`);
    });

  tenantOptions(audit.command('report').argument('<rollout>', 'rollout id or name').description('the deployment report and one incident report per automatic stop or rollback (Markdown)'))
    .option('--out <dir>', 'write the reports into this directory instead of printing them')
    .option('--signing-key <pem>', 'Ed25519 private key file', process.env.ROLLGATE_AUDIT_SIGNING_KEY_FILE ?? DEFAULT_SIGNING_KEY_FILE)
    .action(async (rollout: string, o: TenantOption & { out?: string; signingKey: string }, command: Command) => {
      const exported = o.api
        ? await apiFor(command).get<RolloutExport>(`/rest/v1/rollouts/${encodeURIComponent(rollout)}/audit/export`)
        : await withLog(databaseUrl(), (pool) => new RolloutAudit(pool).export(tenantOf(o, command), rollout, loadOrCreateSigningKey(o.signingKey)));
      if (!o.out) {
        console.log([exported.deploymentReport, ...exported.incidentReports].join('\n---\n\n'));
        return;
      }
      for (const file of writeReports(exported, o.out)) console.log(`wrote ${file}`);
    });
}

/**
 * The evidence and reports of one rollout, written from the log (for `rollgate up`, which leaves the audit
 * report of each scenario rollout behind): `<name>.evidence.json` (signed), `.evidence.html`,
 * `.deployment-report.md`, `.incident-<n>.md`. Returns the files written.
 */
export async function writeRolloutEvidence(options: { databaseUrl: string; tenant: string; rollout: string; outDir: string; signingKeyFile?: string }): Promise<string[]> {
  const key = loadOrCreateSigningKey(options.signingKeyFile ?? process.env.ROLLGATE_AUDIT_SIGNING_KEY_FILE ?? DEFAULT_SIGNING_KEY_FILE);
  const exported = await withLog(options.databaseUrl, (pool) => new RolloutAudit(pool).export(options.tenant, options.rollout, key));
  return writeExport(exported, options.outDir);
}

/** `<rollout name>.evidence.json`, `.evidence.html`, and the reports, named after the rollout. */
function writeExport(exported: RolloutExport, dir: string): string[] {
  const base = join(resolve(dir), `${safeName(exported.signed.bundle.rollout.name)}.evidence`);
  mkdirSync(resolve(dir), { recursive: true });
  writeFileSync(`${base}.json`, `${JSON.stringify(exported.signed, null, 2)}\n`);
  writeFileSync(`${base}.html`, exported.html);
  return [`${base}.json`, `${base}.html`, ...writeReports(exported, dir)];
}

function writeReports(exported: RolloutExport, dir: string): string[] {
  const id = safeName(exported.signed.bundle.rollout.name);
  mkdirSync(resolve(dir), { recursive: true });
  const files = [join(resolve(dir), `${id}.deployment-report.md`)];
  writeFileSync(files[0], exported.deploymentReport);
  exported.incidentReports.forEach((report, i) => {
    const file = join(resolve(dir), `${id}.incident-${i + 1}.md`);
    writeFileSync(file, report);
    files.push(file);
  });
  return files;
}

const safeName = (id: string): string => id.replace(/[^A-Za-z0-9._-]/g, '_');

export function describeSnapshot(s: RolloutSnapshot): string {
  const counts = (c: Record<string, number>) => Object.entries(c).map(([k, n]) => `${k}=${n}`).join(' ');
  return [
    `rollout ${s.name} (${s.rolloutId}) as of ${s.asOf}: ${s.status}${s.stopReason ? ` (${s.stopReason})` : ''}, ${s.eventsApplied} events`,
    `  all: ${s.totalTargets} targets, ${counts({ ...s.totalTargetsPerStatus })}`,
    ...s.groups.map((g) => `  ${g.index} ${g.name}: ${g.status}, ${g.totalTargets} targets, ${counts({ ...g.totalTargetsPerStatus })}`),
  ].join('\n');
}

function parseInstant(text: string): Date {
  const instant = new Date(text);
  if (Number.isNaN(instant.getTime())) throw new CliError('invalid_instant', `--as-of must be an ISO 8601 time, not "${text}"`);
  return instant;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new CliError('bundle_unreadable', `cannot read ${file} as JSON`);
  }
}

function readOptional(file: string, required: boolean): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    if (required) throw new CliError('report_unreadable', `cannot read ${file}`);
    return undefined;
  }
}
