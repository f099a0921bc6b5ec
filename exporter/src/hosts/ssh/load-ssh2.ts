/**
 * ssh2, loaded the first time an SSH host is used. An exporter without an inventory (most of
 * them: one per machine, scraped locally) never needs it, and loading it costs some 2 MiB of
 * resident memory and a 16 MiB WebAssembly buffer (its Poly1305 implementation).
 */
import type ssh2 from 'ssh2';

let loading: Promise<typeof ssh2> | undefined;

export function loadSsh2(): Promise<typeof ssh2> {
  loading ??= import('ssh2').then((module) => module.default);
  return loading;
}
