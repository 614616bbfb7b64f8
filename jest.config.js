// One Jest run, three projects: unit specs (pure, fast), integration specs (real PostgreSQL and NATS),
// e2e specs (services over HTTP). SWC compiles TypeScript; tsc type-checks separately (`npm run typecheck`).
const { readFileSync } = require('node:fs');

const swc = JSON.parse(readFileSync(`${__dirname}/.swcrc`, 'utf8'));
delete swc.$schema;
const transform = { '^.+\\.ts$': ['@swc/jest', { ...swc, swcrc: false }] };

const { compilerOptions } = JSON.parse(readFileSync(`${__dirname}/tsconfig.base.json`, 'utf8'));
const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  moduleNameMapper[`^${alias}$`] = `<rootDir>/${target}`;
}

const common = {
  rootDir: __dirname,
  transform,
  moduleNameMapper,
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/bench'],
  modulePathIgnorePatterns: ['<rootDir>/dist'],
};

/** @type {import('jest').Config} */
module.exports = {
  globalSetup: '<rootDir>/scripts/jest-global-setup.js',
  // A global option: Jest ignores testTimeout inside `projects`. Integration specs against real servers on a
  // shared 2-core machine need headroom; a spec that needs more says so with jest.setTimeout.
  testTimeout: 60_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['**/*.spec.ts'],
      testPathIgnorePatterns: ['\\.int\\.spec\\.ts$', '\\.e2e\\.spec\\.ts$', '/node_modules/'],
    },
    { ...common, displayName: 'integration', testMatch: ['**/*.int.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['**/*.e2e.spec.ts'] },
  ],
};
