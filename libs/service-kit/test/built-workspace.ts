import type { createRequire as CreateRequire } from 'node:module';
import { join, resolve } from 'node:path';

/**
 * NestJS 12 ships as ES modules only, which Jest's module loader cannot load; specs that start the service
 * in-process load the compiled tree (built once per run by Jest's global setup) with Node's own require,
 * exactly as a service runs from dist/. Same approach as the apps'
 * test/built-workspace.ts, kept local so the kit's tests depend on no app.
 */
export const WORKSPACE_ROOT = resolve(__dirname, '../../..');

export function loadBuilt<T>(sourcePath: string): T {
  return nodeRequire()(join(WORKSPACE_ROOT, 'dist', sourcePath.replace(/\.ts$/, '.js'))) as T;
}

function nodeRequire(): NodeJS.Require {
  const getBuiltinModule = (process as unknown as { getBuiltinModule(id: 'node:module'): { createRequire: typeof CreateRequire } }).getBuiltinModule;
  return getBuiltinModule('node:module').createRequire(join(WORKSPACE_ROOT, 'package.json'));
}
