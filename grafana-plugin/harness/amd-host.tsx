/**
 * The shipped plugin, loaded the way Grafana loads it: dist/module.js is an AMD module whose
 * dependencies are the packages Grafana shares with every plugin (its import map). This page
 * provides exactly those — from this bundle, never from module.js — through a small AMD
 * define() of its own, loads module.js from public/plugins/<id>/ with a script tag, and renders
 * the `plugin` it exports in the harness shell. Anything module.js bundles that it should not,
 * or expects that Grafana does not share, fails here.
 */
import * as emotionCss from '@emotion/css';
import * as emotionReact from '@emotion/react';
import type { AppPlugin, KeyValue } from '@grafana/data';
import * as grafanaData from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import * as grafanaUi from '@grafana/ui';
import * as React from 'react';
import * as ReactDom from 'react-dom';
import * as jsxRuntime from 'react/jsx-runtime';
import * as ReactRouter from 'react-router';
import * as rxjs from 'rxjs';
import * as rxjsOperators from 'rxjs/operators';
import pluginJson from '../src/plugin.json';
import { renderHarness } from './shell';

/** What Grafana's SystemJS import map shares with plugins, as far as this app may use it. */
export const SHARED: Record<string, unknown> = {
  react: React,
  'react-dom': ReactDom,
  'react/jsx-runtime': jsxRuntime,
  'react-router': ReactRouter,
  rxjs,
  'rxjs/operators': rxjsOperators,
  '@emotion/css': emotionCss,
  '@emotion/react': emotionReact,
  '@grafana/data': grafanaData,
  '@grafana/ui': grafanaUi,
  '@grafana/runtime': grafanaRuntime,
};

interface Definition {
  deps: string[];
  factory: (...args: unknown[]) => unknown;
}

/** The AMD define() webpack's `library: { type: 'amd' }` output calls: define(deps, factory). */
function captureDefine(): Promise<Definition> {
  return new Promise((resolve, reject) => {
    const define = (depsOrFactory: unknown, maybeFactory?: unknown) => {
      const deps = Array.isArray(depsOrFactory) ? (depsOrFactory as string[]) : [];
      const factory = (Array.isArray(depsOrFactory) ? maybeFactory : depsOrFactory) as Definition['factory'];
      if (typeof factory !== 'function') reject(new Error('module.js called define() without a factory'));
      else resolve({ deps, factory });
    };
    (define as unknown as { amd: object }).amd = {};
    (window as unknown as { define: unknown }).define = define;
  });
}

async function load(): Promise<void> {
  const defined = captureDefine();
  const script = document.createElement('script');
  script.src = `/public/plugins/${pluginJson.id}/module.js`;
  const loaded = new Promise<void>((resolve, reject) => {
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`could not load ${script.src}`));
  });
  document.head.appendChild(script);
  await loaded;
  const { deps, factory } = await defined;
  const missing = deps.filter((d) => !(d in SHARED));
  if (missing.length > 0)
    throw new Error(`module.js needs modules Grafana does not share: ${missing.join(', ')}`);
  (window as unknown as { __HYPERION_AMD_DEPS__: string[] }).__HYPERION_AMD_DEPS__ = deps;
  const exports = factory(...deps.map((d) => SHARED[d])) as { plugin?: AppPlugin<KeyValue> };
  if (!exports?.plugin) throw new Error('module.js exports no `plugin`');
  renderHarness(exports.plugin);
}

load().catch((error: unknown) => {
  // A page error the browser test sees (and fails on), with the reason on the page too.
  document.getElementById('root')!.textContent = `Loading module.js failed: ${String(error)}`;
  throw error;
});
