// Lint is where the architecture's import rules are enforced (ARCHITECTURE.md, "Code layout"):
// domain libs are pure and may import only other domain libs; apps meet each other only through contracts.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const ioModules = ['@nestjs/*', '@nats-io/*', 'pg', 'pg-*', 'typeorm', 'node:*', 'fs', 'net', 'http', 'https', 'child_process', 'crypto', 'os', 'path', 'worker_threads'];

export default [
  { ignores: ['**/node_modules/**', 'dist/**', 'tmp/**', '.data/**', '.nx/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain'], bannedExternalImports: ioModules },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts'] },
            { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:infra'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:infra'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:infra', 'type:testing'] },
            { sourceTag: 'type:bench', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:infra', 'type:testing'] },
          ],
        },
      ],
    },
  },
  {
    // Belt and braces for the purity rule: also refuse Node built-ins by their bare names in domain libs.
    files: ['libs/shared/domain/**/*.ts', 'libs/*/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ioModules, message: 'Domain libs are pure: no I/O imports (ARCHITECTURE.md).' }] }],
    },
  },
  {
    // Test code of any lib may use the testing lib (fresh databases, bus names); library code may not.
    files: ['**/*.spec.ts', 'libs/*/test/**/*.ts', 'apps/*/test/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          depConstraints: [
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain'] },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:testing'] },
            { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:infra', 'type:testing'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:infra'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:infra', 'type:testing'] },
            { sourceTag: 'type:bench', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:infra', 'type:testing'] },
          ],
        },
      ],
    },
  },
  {
    // Integration specs of a domain lib may talk to the real servers (e.g. the filter's SQL against
    // PostgreSQL); the lib's own code may not.
    files: ['**/*.int.spec.ts'],
    rules: { 'no-restricted-imports': 'off', '@nx/enforce-module-boundaries': 'off' },
  },
  {
    files: ['**/*.spec.ts', 'libs/testing/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
];
