#!/usr/bin/env node
// Compiles every TypeScript source under apps/, libs/ and bench/ to dist/ with SWC (about a second for the
// whole tree). The `@rollgate/*` path aliases are rewritten to relative requires at compile time, so
// `node dist/...` runs without a runtime resolver. Type checking is a separate step (`npm run typecheck`).
import { transformFile } from '@swc/core';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist');
const sourceRoots = ['apps', 'libs', 'bench'];
const skipped = /(\.spec\.ts|\.d\.ts)$/;

async function* sources(dir) {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'results') yield* sources(full);
    } else if (entry.name.endsWith('.ts') && !skipped.test(entry.name)) {
      yield full;
    }
  }
}

const swcrc = JSON.parse(await readFile(join(root, '.swcrc'), 'utf8'));
delete swcrc.$schema;
const { compilerOptions } = JSON.parse(await readFile(join(root, 'tsconfig.base.json'), 'utf8'));
const options = {
  ...swcrc,
  swcrc: false,
  jsc: { ...swcrc.jsc, baseUrl: root, paths: compilerOptions.paths },
};

async function writeAtomically(target, content) {
  const temporary = `${target}.${process.pid}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, target);
}

const files = [];
for (const sourceRoot of sourceRoots) for await (const file of sources(join(root, sourceRoot))) files.push(file);

await Promise.all(
  files.map(async (file) => {
    const target = join(outDir, relative(root, file)).replace(/\.ts$/, '.js');
    const { code, map } = await transformFile(file, { ...options, filename: file, sourceFileName: relative(dirname(target), file) });
    await mkdir(dirname(target), { recursive: true });
    // Write aside, then rename: a service or test loading dist/ while another build runs never reads a half
    // written file (rename replaces atomically).
    if (map) await writeAtomically(`${target}.map`, map);
    await writeAtomically(target, map ? `${code}\n//# sourceMappingURL=${target.split('/').pop()}.map\n` : code);
  }),
);
if (!process.argv.includes('--quiet')) console.log(`built ${files.length} files into dist/`);
