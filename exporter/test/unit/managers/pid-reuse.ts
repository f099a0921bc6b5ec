/**
 * Run by processes.test.ts as PID 1 of a new PID namespace with its own /proc (unshare --pid
 * --fork --mount-proc), where the next pid can be chosen through ns_last_pid: a listing keeps
 * handles on a process's /proc files, the process ends, a new one gets the very same pid, and
 * the next listing must show the new process, not the old one. Prints one JSON line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { LocalHost } from '../../../src/hosts/local-host.js';
import { ProcessManager } from '../../../src/managers/processes.js';

const manager = new ProcessManager(new LocalHost(), { selfPid: process.pid });

function sleep(arg: string): ChildProcess & { pid: number } {
  const child = spawn('sleep', [arg], { stdio: 'ignore' });
  if (child.pid === undefined) throw new Error('could not start sleep');
  return child as ChildProcess & { pid: number };
}

const old = sleep('300.111');
const before = await manager.list({ search: '300.' });
old.kill('SIGKILL');
await once(old, 'exit');

// Node may start threads of its own, which take pids too: try a few times for the same pid.
let reused: (ChildProcess & { pid: number }) | undefined;
for (let attempt = 0; attempt < 5 && !reused; attempt += 1) {
  writeFileSync('/proc/sys/kernel/ns_last_pid', String(old.pid - 1));
  const candidate = sleep('300.222');
  if (candidate.pid === old.pid) reused = candidate;
  else {
    candidate.kill('SIGKILL');
    await once(candidate, 'exit');
  }
}
const after = await manager.list({ search: '300.' });
reused?.kill('SIGKILL');
const summary = (page: typeof after) =>
  page.items.map((p) => ({ pid: p.pid, command: p.command, startTime: p.startTime }));
process.stdout.write(
  `${JSON.stringify({ oldPid: old.pid, newPid: reused?.pid ?? null, before: summary(before), after: summary(after) })}\n`,
);
