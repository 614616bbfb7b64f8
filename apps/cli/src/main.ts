import { Command, CommanderError, Option } from 'commander';
import { RollgateError } from '@rollgate/shared-domain';
import { CliError, DEFAULT_DATABASE_URL } from './cli-context';
import { registerAudit } from './commands/audit.command';
import { registerAuditVerify } from './commands/audit-verify.command';
import { registerCatalog } from './commands/catalog.command';
import { registerContext } from './commands/context.command';
import { registerProjections } from './commands/projections.command';
import { registerRollouts } from './commands/rollouts.command';
import { registerUp } from './commands/up.command';

export function buildProgram(): Command {
  const program = new Command('rollgate')
    .description('Rollgate: safe rollouts to device fleets and service instances')
    .option('--database-url <url>', 'PostgreSQL holding the event log (env DATABASE_URL)', process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL)
    .option('--context <name>', 'server context to use instead of the current one')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .showHelpAfterError()
    .exitOverride();
  const databaseUrl = () => program.opts<{ databaseUrl: string }>().databaseUrl;

  registerUp(program, databaseUrl);
  registerContext(program);
  registerCatalog(program);
  registerRollouts(program);
  const audit = program.command('audit').description('history, as-of replay, evidence bundles, reports and log verification');
  registerAuditVerify(audit, databaseUrl);
  registerAudit(audit, databaseUrl);
  registerProjections(program, databaseUrl);
  return program;
}

/** Errors are one line with a stable code; stack traces are for bugs, not for users. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    if (error instanceof CliError || error instanceof RollgateError) {
      console.error(`rollgate: ${error.message} (${error.code})`);
    } else {
      console.error(`rollgate: ${(error as Error).message ?? String(error)}`);
    }
    process.exitCode = 1;
  }
}

// `node dist/apps/cli/src/main.js …` (npm start); the `rollgate` bin calls main() itself.
if (require.main === module) void main(process.argv);
