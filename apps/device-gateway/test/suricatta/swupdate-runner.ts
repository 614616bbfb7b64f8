import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CheckResult {
  /** swupdate's own verdict, read from its log (see runSwupdateOnFile) */
  accepted: boolean;
  output: string;
}

/** The installer's status line when an image passed (in check mode the "install" is a dry run). */
const PASSED = 'SWUPDATE successful !';
/** The installer's final failure status: "Image invalid or corrupted", "Installation failed", ... */
const FAILED = /SWUPDATE failed \[1\]/;

/** Board and revision swupdate runs as (`-H board:rev`); images list the revisions they are compatible with. */
export interface Hardware {
  board: string;
  revision: string;
}

/**
 * Runs `swupdate -c` (check mode: parse, verify the signature against the CA, check hardware compatibility,
 * install nothing) or, with `install`, a local install from the file. The verdict is read from the
 * installer's status lines, because the 2022.12 build's other signals are unreliable: it sometimes exits 1
 * after a run that passed (a race while it shuts down its threads, about one run in seven here), and its
 * closing "SWUpdate was successful !" line is printed even after it refused an image in check mode.
 */
export function runSwupdateOnFile(image: string, caCertPath: string, hardware: Hardware, workDir: string, mode: 'check' | 'install'): Promise<CheckResult> {
  const args = ['-v', ...(mode === 'check' ? ['-c'] : []), '-i', image, '-k', caCertPath, '-H', `${hardware.board}:${hardware.revision}`];
  return new Promise((resolve) => {
    // Generous: on a loaded shared machine a verify-and-install of a few kilobytes has taken tens of seconds.
    execFile('swupdate', args, { env: isolatedEnv(workDir), timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const killed = error !== null && (error as { killed?: boolean }).killed ? '\n(swupdate was killed after 180 s)' : '';
      const output = `${stdout}${stderr}${killed}`;
      resolve({ accepted: output.includes(PASSED) && !FAILED.test(output), output });
    });
  });
}

/** How suricatta authenticates: hawkBit's per-device TargetToken or the tenant-wide GatewayToken. */
export type DeviceCredential = { kind: 'target-token'; token: string } | { kind: 'gateway-token'; token: string };

export interface SuricattaOptions {
  gatewayUrl: string;
  tenant: string;
  controllerId: string;
  credential: DeviceCredential;
  caCertPath: string;
  hardware: Hardware;
  /** `-c`: the state to confirm at start after a "reboot": 1 installed (again), 2 success, 3 failed */
  confirm?: 1 | 2 | 3;
  /** an HTTP proxy between the device and the services (suricatta's `-y`, taking the URL from http_proxy) */
  proxyUrl?: string;
  /** attributes the device reports as hawkBit configData (swupdate.cfg's `identify` section) */
  identify?: Record<string, string>;
  /** the device's own directory: its working directory, and where its IPC sockets go so devices never share them */
  workDir: string;
}

export interface SuricattaProcess {
  child: ChildProcess;
  output(): string;
  /** resolves when the log contains `text` (or rejects after the timeout with the log so far) */
  waitForOutput(text: string | RegExp, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts swupdate as a suricatta daemon against the gateway, exactly as on a device:
 * `swupdate -v -k <ca> -H <board>:<rev> -u "-t <tenant> -u <url> -i <controllerId> -k <token> -p 1"`.
 */
export function startSuricatta(options: SuricattaOptions): SuricattaProcess {
  const suricattaArgs = [
    '-t', options.tenant,
    '-u', options.gatewayUrl,
    '-i', options.controllerId,
    options.credential.kind === 'target-token' ? '-k' : '-g', options.credential.token,
    '-p', '1',
    ...(options.confirm !== undefined ? ['-c', String(options.confirm)] : []),
    ...(options.proxyUrl !== undefined ? ['-y'] : []),
  ];
  const config = options.identify ? ['-f', writeSwupdateConfig(options.workDir, options.identify)] : [];
  const args = ['-v', ...config, '-k', options.caCertPath, '-H', `${options.hardware.board}:${options.hardware.revision}`, '-u', suricattaArgs.join(' ')];
  const env = { ...isolatedEnv(options.workDir), ...(options.proxyUrl !== undefined ? { http_proxy: options.proxyUrl } : {}) };
  // The device's directory is its working directory: images that install to relative paths install there.
  const child = spawn('swupdate', args, { cwd: options.workDir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return {
    child,
    output: () => output,
    async waitForOutput(text, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      const found = () => (typeof text === 'string' ? output.includes(text) : text.test(output));
      while (!found()) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`swupdate exited before logging ${String(text)}:\n${tail(output)}`);
        if (Date.now() > deadline) throw new Error(`swupdate did not log ${String(text)} within ${timeoutMs} ms:\n${tail(output)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // swupdate forks helpers (suricatta, the downloader) into its process group: end the whole group.
      signalGroup(child, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 5_000)))]);
      clearTimeout(timer);
      if (!stopped) {
        signalGroup(child, 'SIGKILL');
        await exited;
      }
    },
  };
}

/**
 * A minimal swupdate.cfg: an empty `globals` (swupdate refuses a file without it; the command line sets
 * everything else) and `identify`, the pairs suricatta sends when the server asks for configData.
 */
function writeSwupdateConfig(workDir: string, identify: Record<string, string>): string {
  const entries = Object.entries(identify).map(([name, value]) => `\t{ name = ${JSON.stringify(name)}; value = ${JSON.stringify(value)}; }`);
  const path = join(workDir, 'swupdate.cfg');
  writeFileSync(path, `globals : { };\nidentify : (\n${entries.join(',\n')}\n);\n`);
  return path;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** swupdate puts its control and progress sockets in $TMPDIR: one directory per run keeps runs apart. */
function isolatedEnv(workDir: string): NodeJS.ProcessEnv {
  const tmp = join(workDir, 'swupdate-tmp');
  mkdirSync(tmp, { recursive: true });
  return { PATH: process.env.PATH, TMPDIR: tmp, LANG: 'C' };
}

function tail(text: string, lines = 80): string {
  return text.split('\n').slice(-lines).join('\n');
}
