/** Names that tie the frontend to plugin.json: one place, so a rename cannot miss one. */
import pluginJson from './plugin.json';

export const PLUGIN_ID = pluginJson.id;
/** Where Grafana mounts the app; every page link is below it. */
export const PLUGIN_BASE_URL = `/a/${PLUGIN_ID}`;
/** Grafana's plugin proxy: `<this>/<route>/…` reaches the exporter's /api/v1/… */
export const PROXY_BASE = `api/plugin-proxy/${PLUGIN_ID}`;

/** The app's pages, by their path below PLUGIN_BASE_URL (plugin.json's page includes). */
export const PAGES = {
  overview: 'overview',
  processes: 'processes',
  fleet: 'fleet',
  services: 'services',
  files: 'files',
  network: 'network',
  jobs: 'jobs',
  hosts: 'hosts',
  audit: 'audit',
  secondFactor: 'second-factor',
} as const;
export type PageKey = keyof typeof PAGES;

/** The exporter's own machine: the host every page starts on. */
export const LOCAL_HOST = 'local';
