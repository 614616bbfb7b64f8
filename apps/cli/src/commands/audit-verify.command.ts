import type { Command } from 'commander';
import { verifyLog, type VerifyReport } from '@rollgate/event-store';
import { withLog } from '../cli-context';

export function registerAuditVerify(audit: Command, databaseUrl: () => string): void {
  audit
    .command('verify')
    .description('recompute every event hash, per-stream chain and seal; exit 1 and name the first broken link if the log was tampered with')
    .option('--json', 'print the full report as JSON')
    .action(async (options: { json?: boolean }) => {
      const report = await withLog(databaseUrl(), (pool, store) => verifyLog(pool, store));
      console.log(options.json ? JSON.stringify(report, null, 2) : describeReport(report));
      if (!report.ok) process.exitCode = 1;
    });
}

export function describeReport(report: VerifyReport): string {
  const counts = `${report.eventsChecked} events in ${report.streamsChecked} streams, ${report.sealsChecked} seals (${report.unsealedEvents} events not sealed yet)`;
  if (report.ok) return `log verified: ${counts}`;
  const more = report.brokenLinks.length > 1 ? `\n${report.brokenLinks.length - 1} more problem(s); --json lists them` : '';
  return `log TAMPERED: ${report.firstBrokenLink?.message}\nchecked ${counts}${more}`;
}
