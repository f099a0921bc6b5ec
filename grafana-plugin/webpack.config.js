// @ts-check
/**
 * The plugin build, written for this plugin rather than generated: an AMD `module.js` that
 * Grafana's SystemJS loader imports, with the packages Grafana provides at run time left
 * external, plugin.json and its assets copied next to it with the version filled in.
 *
 * The same function builds the browser harness (harness/), which renders the app outside
 * Grafana and therefore bundles the @grafana packages instead of expecting them at run time.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import CopyWebpackPlugin from 'copy-webpack-plugin';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PKG = JSON.parse(readFileSync(path.join(HERE, 'package.json'), 'utf8'));
const PLUGIN = JSON.parse(readFileSync(path.join(HERE, 'src/plugin.json'), 'utf8'));

/** Grafana refuses to load a plugin whose module.js it considers too heavy to ship; so do we. */
export const MODULE_LIMIT_BYTES = 500 * 1024;

/**
 * What Grafana hands every plugin at run time (its SystemJS import map). Bundling any of these
 * would load a second copy: a second React breaks hooks, a second @grafana/runtime has no
 * backend service. react-router-dom is NOT here: plugins bundle v6 themselves, on top of the
 * react-router Grafana provides.
 * @type {(string | RegExp)[]}
 */
export const GRAFANA_EXTERNALS = [
  'react',
  'react-dom',
  'react/jsx-runtime',
  'rxjs',
  /^rxjs\//,
  'react-router',
  '@emotion/css',
  '@emotion/react',
  'lodash',
  'moment',
  'd3',
  'i18next',
  /^@grafana\/ui(\/.*)?$/,
  /^@grafana\/runtime(\/.*)?$/,
  /^@grafana\/data(\/.*)?$/,
];

/**
 * TypeScript and JSX through swc: types are checked by `tsc`, not by the bundler. `development`
 * is explicit: left to swc it follows NODE_ENV, and a production build made without it (the
 * Node API) emitted jsxDEV calls into a bundled react/jsx-dev-runtime that fails in Grafana.
 */
const swcRule = (/** @type {boolean} */ development) => ({
  test: /\.[jt]sx?$/,
  exclude: /node_modules/,
  use: {
    loader: 'swc-loader',
    options: {
      jsc: {
        parser: { syntax: 'typescript', tsx: true },
        transform: { react: { runtime: 'automatic', development } },
        target: 'es2020',
      },
    },
  },
});

/** Prints the size of module.js after every build and fails the build above the limit. */
class ModuleSizePlugin {
  /** @param {import('webpack').Compiler} compiler */
  apply(compiler) {
    compiler.hooks.afterEmit.tap('ModuleSizePlugin', (compilation) => {
      const file = path.join(compiler.outputPath, 'module.js');
      if (!existsSync(file)) return;
      const bytes = statSync(file).size;
      const kb = (bytes / 1024).toFixed(1);
      console.log(`module.js: ${bytes} bytes (${kb} KiB; limit ${MODULE_LIMIT_BYTES / 1024} KiB)`);
      if (bytes > MODULE_LIMIT_BYTES) {
        compilation.errors.push(
          new Error(`module.js is ${kb} KiB, over the ${MODULE_LIMIT_BYTES / 1024} KiB limit`),
        );
      }
    });
  }
}

/** plugin.json as shipped: the package version, and today's date as the update date. */
function stampPluginJson(/** @type {Buffer} */ content) {
  const today = new Date().toISOString().slice(0, 10);
  return content.toString('utf8').replaceAll('%VERSION%', PKG.version).replaceAll('%TODAY%', today);
}

/** @returns {import('webpack').Configuration} */
function pluginConfig(/** @type {string} */ mode) {
  const dashboards = path.join(HERE, 'src/dashboards');
  return {
    mode: mode === 'development' ? 'development' : 'production',
    context: HERE,
    target: 'web',
    devtool: mode === 'development' ? 'eval-source-map' : 'source-map',
    entry: { module: './src/module.tsx' },
    output: {
      path: path.join(HERE, 'dist'),
      filename: '[name].js',
      // Grafana serves a plugin's files below public/plugins/<id>/: assets resolve from there.
      publicPath: `public/plugins/${PLUGIN.id}/`,
      library: { type: 'amd' },
      uniqueName: PLUGIN.id,
      clean: true,
    },
    externals: GRAFANA_EXTERNALS,
    resolve: { extensions: ['.ts', '.tsx', '.js', '.jsx', '.mjs'] },
    module: { rules: [swcRule(mode === 'development')] },
    performance: { hints: false },
    plugins: [
      new CopyWebpackPlugin({
        patterns: [
          { from: 'src/plugin.json', to: 'plugin.json', transform: stampPluginJson },
          { from: 'README.md', to: '.' },
          { from: 'CHANGELOG.md', to: '.' },
          { from: 'LICENSE', to: '.' },
          { from: 'src/img', to: 'img' },
          ...(existsSync(dashboards) ? [{ from: 'src/dashboards', to: 'dashboards' }] : []),
        ],
      }),
      new ModuleSizePlugin(),
    ],
  };
}

/**
 * The harness bundle: the app plus everything Grafana would provide, for a plain browser page.
 * Development mode (no minifier) because it is rebuilt often and never shipped; production
 * (React's production build, still unminified) for the render benchmark.
 * @returns {import('webpack').Configuration}
 */
export function harnessConfig(
  /** @type {{ outputPath: string, cachePath?: string, production?: boolean }} */ options,
) {
  return {
    // Production for the render benchmark: React's development build is several times slower.
    mode: options.production ? 'production' : 'development',
    context: HERE,
    target: 'web',
    devtool: false,
    entry: { harness: './harness/entry.tsx', 'amd-host': './harness/amd-host.tsx' },
    ...(options.production ? { optimization: { minimize: false } } : {}),
    output: { path: options.outputPath, filename: '[name].js', publicPath: '/harness-assets/', clean: true },
    resolve: {
      extensions: ['.ts', '.tsx', '.js', '.jsx', '.mjs'],
      // Some of @grafana/ui's dependencies mention Node built-ins they never call in a browser.
      fallback: { fs: false, path: false, os: false, crypto: false, stream: false },
    },
    module: {
      rules: [
        swcRule(false),
        // Packages that ship .mjs with bare `import` of CommonJS modules need this leniency.
        { test: /\.m?js$/, resolve: { fullySpecified: false } },
        { test: /\.css$/, type: 'asset/source' },
        { test: /\.(svg|png|woff2?|ttf|eot)$/, type: 'asset/resource' },
      ],
    },
    performance: { hints: false },
    ...(options.cachePath ? { cache: { type: 'filesystem', cacheDirectory: options.cachePath } } : {}),
    infrastructureLogging: { level: 'warn' },
    stats: 'errors-warnings',
  };
}

/** webpack-cli entry: `webpack --mode production` builds the plugin into dist/. */
export default (/** @type {unknown} */ _env, /** @type {{ mode?: string }} */ argv) =>
  pluginConfig(argv.mode ?? 'production');
