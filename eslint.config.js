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
      // …and the file agent's launcher, which starts the agent program on this machine.
      'exporter/src/hosts/agent/launch.ts',
      'exporter/test/**',
      'exporter/bench/**',
      'alerting/test/**',
      'scripts/**',
      // The plugin's build check, its browser harness and its browser tests start real programs.
      'grafana-plugin/test/plugin/**',
      'grafana-plugin/harness/**',
      'grafana-plugin/e2e/**',
    ],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // The Grafana plugin: React (TSX) in the browser; its build, harness and tests run in Node.
    files: ['grafana-plugin/**/*.{ts,tsx,js,cjs,mjs}'],
    languageOptions: {
      parserOptions: { ecmaFeatures: { jsx: true } },
      globals: {
        window: 'readonly',
        document: 'readonly',
        navigator: 'readonly',
        fetch: 'readonly',
        Headers: 'readonly',
        Blob: 'readonly',
        File: 'readonly',
        XMLHttpRequest: 'readonly',
        AbortController: 'readonly',
        ResizeObserver: 'readonly',
        HTMLElement: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        clearTimeout: 'readonly',
        module: 'readonly',
        require: 'readonly',
        __dirname: 'readonly',
      },
    },
  },
  {
    // The plugin shares the exporter's API types, never its code: module.js runs in a browser.
    files: ['grafana-plugin/src/**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@exporter/*', '**/exporter/src/**'],
              allowTypeImports: true,
              message: 'Import only types from the exporter (import type): its code must not be bundled.',
            },
          ],
        },
      ],
    },
  },
);
