import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { transformFile, type Options } from '@swc/core';

const ROOT = resolve(__dirname, '../../..');

/**
 * Compiles libs/ into a private directory under tmp/ for tests that run bus code in child processes (to
 * kill -9 them). Same transform as scripts/build.mjs (aliases rewritten to relative requires), but not into
 * dist/: another test or engineer rebuilding dist/ at the same moment could hand a child a half-written
 * file. The directory sits inside the repository so that the children resolve node_modules from it.
 */
export async function compileLibsForChildren(): Promise<CompiledLibs> {
  const outDir = join(ROOT, 'tmp', `bus-test-${process.pid}-${Date.now().toString(36)}`);
  const swcrc = JSON.parse(await readFile(join(ROOT, '.swcrc'), 'utf8'));
  delete swcrc.$schema;
  const { compilerOptions } = JSON.parse(await readFile(join(ROOT, 'tsconfig.base.json'), 'utf8'));
  const options: Options = { ...swcrc, swcrc: false, jsc: { ...swcrc.jsc, baseUrl: ROOT, paths: compilerOptions.paths } };
  const files = await sources(join(ROOT, 'libs'));
  await Promise.all(
    files.map(async (file) => {
      const target = join(outDir, relative(ROOT, file)).replace(/\.ts$/, '.js');
      const { code } = await transformFile(file, { ...options, filename: file, sourceMaps: false });
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, code);
    }),
  );
  return {
    script: (name) => join(outDir, 'libs/bus/test', `${name}.js`),
    remove: () => rm(outDir, { recursive: true, force: true }),
  };
}

export interface CompiledLibs {
  /** path of a compiled script in libs/bus/test, by base name */
  script(name: string): string;
  remove(): Promise<void>;
}

async function sources(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') found.push(...(await sources(full)));
    } else if (entry.name.endsWith('.ts') && !/\.(spec|d)\.ts$/.test(entry.name)) {
      found.push(full);
    }
  }
  return found;
}

/** A child process running one compiled script, with its output kept for failure messages. */
export class ChildScript {
  readonly process: ChildProcess;
  private output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(scriptPath: string, env: Record<string, string>) {
    this.process = spawn(process.execPath, [scriptPath], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.process.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.process.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolveExit) => this.process.on('exit', (code, signal) => resolveExit({ code, signal })));
  }

  get log(): string {
    return this.output;
  }

  /** Resolves once the child printed `marker` (scripts print `ready` when started). */
  async waitFor(marker: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes(marker)) {
      if (this.process.exitCode !== null) throw new Error(`child exited before "${marker}":\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`child did not print "${marker}" within ${timeoutMs} ms:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async kill9(): Promise<void> {
    this.process.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM: the scripts stop gracefully and exit 0. */
  async terminate(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.process.kill('SIGTERM');
    return this.exited;
  }
}
