import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO_ROOT = resolve(__dirname, '../../..');

export interface CliSnapshot {
  /** a directory holding the `rollgate` command, to put first on PATH */
  binDir: string;
  remove(): void;
}

/**
 * The built `rollgate` command, copied out of dist/ so that a spec running many commands is not hit by
 * another build rewriting dist/ mid-run (several engineers share this checkout and each test run rebuilds).
 * The copy lives under the repository (tmp/, ignored) so that node_modules resolve as for dist/ itself.
 */
export function snapshotCli(): CliSnapshot {
  mkdirSync(join(REPO_ROOT, 'tmp'), { recursive: true });
  const root = mkdtempSync(join(REPO_ROOT, 'tmp', 'cli-snapshot-'));
  const binDir = join(root, 'bin');
  mkdirSync(binDir);
  const main = join(root, 'dist', 'apps', 'cli', 'src', 'main.js');
  writeFileSync(join(binDir, 'rollgate'), `#!/bin/sh\nexec "${process.execPath}" "${main}" "$@"\n`);
  chmodSync(join(binDir, 'rollgate'), 0o755);
  for (let attempt = 1; ; attempt++) {
    rmSync(join(root, 'dist'), { recursive: true, force: true });
    cpSync(join(REPO_ROOT, 'dist'), join(root, 'dist'), { recursive: true });
    try {
      // A build truncates each file before writing it: a copy taken meanwhile has a file cut short (or
      // empty, which still loads as an empty module). Complete files end with their source map comment.
      const cut = compiledFiles(join(root, 'dist')).filter((file) => !readFileSync(file, 'utf8').endsWith(`//# sourceMappingURL=${file.split('/').pop()}.map\n`));
      if (cut.length > 0) throw new Error(`incomplete copies: ${cut.slice(0, 3).join(', ')}`);
      execFileSync(join(binDir, 'rollgate'), ['--help'], { stdio: 'pipe' });
      break;
    } catch (error) {
      if (attempt >= 5) {
        rmSync(root, { recursive: true, force: true });
        throw error;
      }
      execFileSync('sleep', ['2']);
    }
  }
  return { binDir, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** The build's output under apps/ and libs/: each .js has its .map (other files people leave in dist/ do not count). */
function compiledFiles(dist: string): string[] {
  return ['apps', 'libs'].flatMap((root) =>
    readdirSync(join(dist, root), { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.js'))
      .map((entry) => join(entry.parentPath, entry.name))
      .filter((file) => existsSync(`${file}.map`)),
  );
}
