/** Grafana's internal setter of PluginPage (not exported by @grafana/runtime; aliased by the harness build). */
declare module 'hyperion-harness/plugin-page' {
  import type { PluginPageType } from '@grafana/runtime';
  export function setPluginPage(component: PluginPageType): void;
}
