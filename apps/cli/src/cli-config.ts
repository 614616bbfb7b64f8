import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError } from './cli-context';

/** Where a server is and who we are on it. The token is a secret: the file is owner-only (0600). */
export interface ServerContext {
  server: string;
  tenant: string;
  /** an API token (`rgt.<tenant>.<id>.<secret>`), sent as Bearer */
  token?: string;
  /** or a user, whose password comes from ROLLGATE_PASSWORD at each call and is never stored */
  user?: string;
}

export interface CliConfig {
  current?: string;
  contexts: Record<string, ServerContext>;
}

/** $ROLLGATE_CONFIG, else ~/.config/rollgate/config.json (XDG_CONFIG_HOME honoured). */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ROLLGATE_CONFIG) return env.ROLLGATE_CONFIG;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'rollgate', 'config.json');
}

export function readConfig(file = configPath()): CliConfig {
  if (!existsSync(file)) return { contexts: {} };
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<CliConfig>;
    return { current: parsed.current, contexts: parsed.contexts ?? {} };
  } catch {
    throw new CliError('config_invalid', `${file} is not valid JSON; fix or remove it`);
  }
}

/** Written to a temporary file first and renamed, so a crash never leaves half a config (or a readable one). */
export function writeConfig(config: CliConfig, file = configPath()): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}

/** The context to use: the named one, else the current one. */
export function activeContext(config: CliConfig, name?: string): ServerContext & { name: string } {
  const chosen = name ?? config.current;
  if (!chosen) throw new CliError('no_context', 'no server context: run `rollgate context set <name> --server <url> --tenant <tenant> --token-stdin` first');
  const context = config.contexts[chosen];
  if (!context) throw new CliError('context_not_found', `no context named "${chosen}"; known: ${Object.keys(config.contexts).join(', ') || 'none'}`);
  return { ...context, name: chosen };
}

/** Secrets shown as their first characters only. */
export function maskSecret(secret: string): string {
  return secret.length <= 12 ? '***' : `${secret.slice(0, 12)}…`;
}
