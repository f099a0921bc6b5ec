/**
 * The V8 flags the exporter's first line gives node (`#!/usr/bin/env -S node --flag…`, in
 * src/main.ts and so dist/main.js). Every launcher runs the exporter with them: the benchmark
 * reads them here to do the same, and a test checks the systemd unit repeats them.
 */
import { readFileSync } from 'node:fs';

export function shebangNodeFlags(file: string): string[] {
  const first = readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S node((?: --[\w-]+(?:=\S+)?)*)$/.exec(first);
  if (!m) throw new Error(`${file} does not start with "#!/usr/bin/env -S node [flags]": ${first}`);
  return m[1]!.split(' ').filter((flag) => flag !== '');
}
