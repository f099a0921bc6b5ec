/**
 * Builds the harness bundle with webpack's Node API: the app with @grafana/* bundled (no
 * Grafana to provide them), and Grafana's internal PluginPage setter made reachable. A
 * filesystem cache keeps rebuilds to seconds after the first (about a minute on a busy machine).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import webpack, { type Configuration } from 'webpack';
// The plugin's own build configuration is plain JavaScript (webpack-cli loads it as is).
import { harnessConfig } from '../webpack.config.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const PLUGIN_ROOT = path.resolve(HERE, '..');
const REPO_ROOT = path.resolve(PLUGIN_ROOT, '..');
/** Under artifacts/ (git-ignored, lint-ignored): a build product, not a source. */
export const DEFAULT_BUNDLE_DIR = path.join(REPO_ROOT, 'artifacts', 'harness', 'bundle');
const CACHE_DIR = path.join(REPO_ROOT, 'artifacts', 'harness', 'cache');

function config(outputPath: string, production = false): Configuration {
  const base = harnessConfig({
    outputPath,
    cachePath: production ? `${CACHE_DIR}-production` : CACHE_DIR,
    production,
  }) as Configuration;
  const pluginPage = path.join(
    path.dirname(fileURLToPath(import.meta.resolve('@grafana/runtime'))),
    'components',
    'PluginPage.mjs',
  );
  return {
    ...base,
    resolve: {
      ...base.resolve,
      alias: { 'hyperion-harness/plugin-page$': pluginPage },
    },
  };
}

export function buildHarness(outputPath = DEFAULT_BUNDLE_DIR, production = false): Promise<string> {
  return new Promise((resolve, reject) => {
    webpack(config(outputPath, production), (error, stats) => {
      if (error) return reject(error);
      if (!stats || stats.hasErrors()) {
        return reject(
          new Error(stats?.toString({ all: false, errors: true, errorDetails: true }) ?? 'webpack failed'),
        );
      }
      resolve(outputPath);
    });
  });
}

/** Rebuilds on every change (npm run dev:harness). */
export function watchHarness(
  outputPath: string,
  onBuilt: (error?: string) => void,
): { close(): Promise<void> } {
  const compiler = webpack(config(outputPath));
  const watching = compiler.watch({ aggregateTimeout: 300 }, (error, stats) => {
    if (error) onBuilt(error.message);
    else if (stats?.hasErrors()) onBuilt(stats.toString({ all: false, errors: true }));
    else onBuilt();
  });
  return { close: () => new Promise((resolve) => (watching ? watching.close(() => resolve()) : resolve())) };
}
