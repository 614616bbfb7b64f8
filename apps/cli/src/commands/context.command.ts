import type { Command } from 'commander';
import { ApiClient } from '../api-client';
import { CliError } from '../cli-context';
import { activeContext, configPath, maskSecret, readConfig, writeConfig, type ServerContext } from '../cli-config';
import { globals, readStdin } from '../cli-output';

interface SetOptions {
  server?: string;
  tenant?: string;
  token?: string;
  tokenStdin?: boolean;
  user?: string;
}

export function registerContext(program: Command): void {
  const context = program.command('context').description(`server contexts (URL, tenant, credentials), kept in ${configPath()} (0600)`);

  context
    .command('set')
    .argument('<name>', 'context name')
    .option('--server <url>', 'Management API base URL, e.g. http://127.0.0.1:8080')
    .option('--tenant <tenant>', 'tenant to work in')
    .option('--token <token>', 'API token (prefer --token-stdin: arguments show in `ps`)')
    .option('--token-stdin', 'read the API token from stdin')
    .option('--user <user>', 'authenticate as this user; the password comes from ROLLGATE_PASSWORD at each call')
    .description('create or change a context and make it the current one')
    .action(async (name: string, options: SetOptions) => {
      const config = readConfig();
      const previous: Partial<ServerContext> = config.contexts[name] ?? {};
      const token = options.tokenStdin ? await readStdin() : options.token;
      const next: ServerContext = {
        server: options.server ?? previous.server ?? '',
        tenant: options.tenant ?? previous.tenant ?? '',
        ...(token ? { token } : options.user ? {} : previous.token ? { token: previous.token } : {}),
        ...(options.user ? { user: options.user } : !token && previous.user ? { user: previous.user } : {}),
      };
      if (!next.server) throw new CliError('context_incomplete', `context ${name} needs --server`);
      if (!next.tenant) throw new CliError('context_incomplete', `context ${name} needs --tenant`);
      checkUrl(next.server);
      config.contexts[name] = next;
      config.current = name;
      writeConfig(config);
      console.log(`context ${name} set and in use (${next.server}, tenant ${next.tenant}, ${next.token ? 'token' : next.user ? `user ${next.user}` : 'no credentials yet'})`);
    });

  context
    .command('use')
    .argument('<name>', 'context name')
    .description('switch the current context')
    .action((name: string) => {
      const config = readConfig();
      activeContext(config, name);
      config.current = name;
      writeConfig(config);
      console.log(`now using context ${name}`);
    });

  context
    .command('show')
    .description('list the contexts; * marks the current one; secrets are masked')
    .action((_options: unknown, command: Command) => {
      const config = readConfig();
      if (globals(command).output === 'json') {
        const masked = Object.fromEntries(Object.entries(config.contexts).map(([n, c]) => [n, { ...c, token: c.token ? maskSecret(c.token) : undefined }]));
        console.log(JSON.stringify({ current: config.current, contexts: masked }, null, 2));
        return;
      }
      if (Object.keys(config.contexts).length === 0) console.log('no contexts yet: rollgate context set <name> --server <url> --tenant <tenant> --token-stdin');
      for (const [n, c] of Object.entries(config.contexts)) {
        const who = c.token ? `token ${maskSecret(c.token)}` : c.user ? `user ${c.user}` : 'no credentials';
        console.log(`${n === config.current ? '*' : ' '} ${n}\t${c.server}\ttenant ${c.tenant}\t${who}`);
      }
    });

  program
    .command('login')
    .description('exchange a user\'s password (ROLLGATE_PASSWORD or stdin) for an API token stored in the current context')
    .requiredOption('--user <user>', 'user name')
    .option('--token-name <name>', 'name of the token to issue', 'rollgate-cli')
    .option('--permissions <list>', 'comma-separated permissions of the token (default: all of the user\'s)')
    .action(async (options: { user: string; tokenName: string; permissions?: string }, command: Command) => {
      const config = readConfig();
      const current = activeContext(config, globals(command).context);
      const password = process.env.ROLLGATE_PASSWORD ?? (await readStdin());
      if (!password) throw new CliError('password_missing', 'give the password in ROLLGATE_PASSWORD or on stdin');
      const asUser = new ApiClient({ server: current.server, tenant: current.tenant, user: options.user }, { ...process.env, ROLLGATE_PASSWORD: password });
      const permissions = options.permissions?.split(',').map((p) => p.trim()).filter(Boolean);
      const issued = await asUser.post<{ id: string; token: string }>('/rest/v1/system/tokens', { name: options.tokenName, ...(permissions ? { permissions } : {}) });
      config.contexts[current.name] = { server: current.server, tenant: current.tenant, token: issued.token };
      writeConfig(config);
      console.log(`logged in to ${current.server} as ${current.tenant}\\${options.user}: token ${issued.id} stored in context ${current.name}`);
    });
}

function checkUrl(url: string): void {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new CliError('server_url_invalid', `--server must be an http(s) URL, not "${url}"`);
  }
}
