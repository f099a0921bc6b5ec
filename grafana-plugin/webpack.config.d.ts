/** Types of the plugin's webpack configuration (plain JavaScript) for the harness build. */
import type { Configuration } from 'webpack';

export const MODULE_LIMIT_BYTES: number;
export const GRAFANA_EXTERNALS: (string | RegExp)[];
export function harnessConfig(options: {
  outputPath: string;
  cachePath?: string;
  production?: boolean;
}): Configuration;
declare const config: (env: unknown, argv: { mode?: string }) => Configuration;
export default config;
