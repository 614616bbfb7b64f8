import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import type { createRequire as CreateRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';

/**
 * The compiled tree for specs that run services. NestJS 12 ships as ES modules only; Node 20.19+ loads them
 * from CommonJS natively (require(esm)), which is how the built services run, but Jest's module loader
 * cannot. So a spec that starts Nest in-process loads the compiled modules with Node's real `require`,
 * exactly as `node dist/apps/<name>/src/main.js` would. (Once the Jest config transforms @nestjs/*, such
 * specs can import the sources directly.)
 */
const ABOVE_APP = resolve(__dirname, '../../..');
/** The repository root, whether this file runs from its source (Jest) or compiled under dist/ (the smoke script). */
export const WORKSPACE_ROOT = basename(ABOVE_APP) === 'dist' ? dirname(ABOVE_APP) : ABOVE_APP;

const LOCK = join(tmpdir(), `rollgate-build-${Buffer.from(WORKSPACE_ROOT).toString('hex').slice(-32)}.lock`);
const LOCK_STALE_MS = 120_000;
let ready = false;

/**
 * Builds dist/ unless it is already newer than every source. Spec files run in parallel workers: the lock
 * keeps two builds from rewriting files that another spec is loading or another service is starting from.
 */
export function buildWorkspace(): void {
  if (ready) return;
  withBuildLock(() => {
    if (distIsStale()) execFileSync(process.execPath, [join(WORKSPACE_ROOT, 'scripts/build.mjs'), '--quiet'], { cwd: WORKSPACE_ROOT, stdio: 'inherit' });
  });
  ready = true;
}

/** Loads a compiled module by its source path, e.g. `loadBuilt<typeof Kit>('libs/service-kit/src/index.ts')`. */
export function loadBuilt<T>(sourcePath: string): T {
  buildWorkspace();
  return nodeRequire()(join(WORKSPACE_ROOT, 'dist', sourcePath.replace(/\.ts$/, '.js'))) as T;
}

/** Node's own require, reached past Jest's module registry (which replaces `module.createRequire`). */
function nodeRequire(): NodeJS.Require {
  const getBuiltinModule = (process as unknown as { getBuiltinModule(id: 'node:module'): { createRequire: typeof CreateRequire } }).getBuiltinModule;
  return getBuiltinModule('node:module').createRequire(join(WORKSPACE_ROOT, 'package.json'));
}

function distIsStale(): boolean {
  for (const source of sources(['apps', 'libs'])) {
    const built = join(WORKSPACE_ROOT, 'dist', relative(WORKSPACE_ROOT, source).replace(/\.ts$/, '.js'));
    try {
      if (statSync(built).mtimeMs < statSync(source).mtimeMs) return true;
    } catch {
      return true;
    }
  }
  return false;
}

function* sources(roots: string[]): Generator<string> {
  for (const root of roots) {
    const stack = [join(WORKSPACE_ROOT, root)];
    for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = join(dir, entry.name);
        if (entry.isDirectory() && entry.name !== 'node_modules') stack.push(full);
        else if (entry.isFile() && entry.name.endsWith('.ts') && !/(\.spec|\.d)\.ts$/.test(entry.name)) yield full;
      }
    }
  }
}

function withBuildLock(work: () => void): void {
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A lock left behind by a killed run is taken over once it is older than any build takes.
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > LOCK_STALE_MS) rmSync(LOCK, { recursive: true, force: true });
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
  try {
    work();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
