// @ts-check
/**
 * Unit tests of the pages and the API client, in jsdom. swc compiles TypeScript, JSX and the
 * ESM-only packages @grafana/ui pulls in (d3's .mjs among them): without transforming those
 * Jest fails with "Unexpected token 'export'".
 * @type {import('jest').Config}
 */
const ESM_PACKAGES = [
  'd3',
  'd3-.*',
  'internmap',
  'delaunator',
  'robust-predicates',
  'ol',
  'react-colorful',
  'uuid',
  'marked',
  'rxjs',
  'react-calendar',
  '@wojtekmaj/.*',
  'get-user-locale',
  'memoize',
  'mimic-function',
];

export default {
  rootDir: '.',
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts', '**/*.test.tsx'],
  setupFiles: ['<rootDir>/test/setup/globals.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/setup/matchers.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { transform: { react: { runtime: 'automatic' } } } }],
    '^.+\\.mjs$': ['@swc/jest', {}],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_PACKAGES.join('|')})/)`],
  moduleNameMapper: {
    '\\.(css|scss|sass)$': '<rootDir>/test/setup/style-stub.cjs',
    // jsdom cannot run Monaco: a named stand-in (test/setup/monaco-stand-in.tsx).
    'components/Monaco/CodeEditor\\.c?m?js$': '<rootDir>/test/setup/monaco-stand-in.tsx',
  },
  moduleFileExtensions: ['ts', 'tsx', 'js', 'jsx', 'mjs', 'cjs', 'json'],
  // One machine, many engineers: two workers at most, and slow CI needs room.
  maxWorkers: 2,
  testTimeout: 30_000,
};
