// Lint configuration for every workspace: typescript-eslint's recommended type-aware rules,
// with `any` allowed only where a comment disables the rule and says why.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/test/fixtures/**', 'artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'node:child_process', message: 'Spawn programs through a Host (hosts/local-host.ts).' },
            { name: 'child_process', message: 'Spawn programs through a Host (hosts/local-host.ts).' },
          ],
        },
      ],
    },
  },
  {
    // The one place allowed to spawn processes and touch the file system of the host directly.
    files: [
      'exporter/src/hosts/local-host.ts',
      'exporter/test/**',
      'exporter/bench/**',
      'alerting/test/**',
      'scripts/**',
    ],
    rules: { 'no-restricted-imports': 'off' },
  },
);
