import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { z } from 'zod';
import { configSchema, type Config } from './schema.js';

/**
 * The YAML parser is loaded only when there is a file to parse: ~9 MiB of memory that an
 * exporter running on its embedded defaults never needs. (require is synchronous, like start-up.)
 */
function parseYaml(text: string): unknown {
  const yaml = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yaml.parse(text);
}

/** The embedded default: what an absent configuration file means. */
export function defaultConfig(): Config {
  return configSchema.parse({});
}

/** Parses and validates configuration text; the error names the offending key. */
export function parseConfig(text: string, source: string): Config {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (error) {
    throw new Error(`${source}: not valid YAML: ${(error as Error).message}`);
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new Error(`${source}: ${z.prettifyError(result.error)}`);
  return result.data;
}

/** Loads the file at `path`; a missing file is only an error when the operator named it. */
export function loadConfig(path: string, explicit: boolean): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) return defaultConfig();
    throw new Error(`${path}: ${(error as Error).message}`);
  }
  return parseConfig(text, path);
}
