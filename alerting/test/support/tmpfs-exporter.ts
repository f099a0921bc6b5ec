/**
 * A real hyperion-exporter that sees a small tmpfs nobody else sees: the test creates a private
 * mount namespace (and a PID namespace, so the exporter's /proc/1/mounts — where it reads the
 * mount table — is that namespace's), mounts the tmpfs there and runs the exporter inside. The
 * host's mount table is never touched; the tmpfs disappears with the namespace.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startExporter, type RunningExporter } from '../../../exporter/test/support/exporter.js';
import { run } from './run.js';

export interface TmpfsExporter {
  exporter: RunningExporter;
  /** Where the tmpfs is mounted (inside the namespace only). */
  mountpoint: string;
  /** The tmpfs' source, which the exporter reports as `device`. */
  device: string;
  /** Runs a command inside the exporter's mount namespace. */
  inside(command: string[]): Promise<string>;
  /** statfs of the tmpfs, as `stat -f` sees it inside the namespace. */
  statfs(): Promise<{ blocks: number; available: number; blockSize: number }>;
  stop(): Promise<void>;
}

const DEVICE = 'hyperion-test-tmpfs';

/** `size` in tmpfs' syntax, e.g. "4m". */
export async function startTmpfsExporter(size: string, args: string[] = []): Promise<TmpfsExporter> {
  const mountpoint = mkdtempSync(path.join(os.tmpdir(), 'hyperion-tmpfs-'));
  let exporter: RunningExporter | undefined;
  let innerPid: number | undefined;
  const stop = async () => {
    // unshare blocks SIGTERM while it waits for its child, so the exporter (PID 1 of its namespace,
    // which only gets the signals it handles — it handles SIGTERM) is asked directly; should that
    // fail, startExporter's SIGKILL of unshare takes the child down too (--kill-child).
    if (innerPid !== undefined) {
      try {
        process.kill(innerPid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await exporter?.stop();
    rmSync(mountpoint, { recursive: true, force: true });
  };
  try {
    exporter = await startExporter({
      args,
      wrapper: [
        'unshare',
        '--mount',
        '--propagation',
        'private',
        '--pid',
        '--fork',
        '--kill-child',
        '--mount-proc',
        'sh',
        '-c',
        // $0 is the mount point; "$@" the exporter's command line that startExporter appends.
        `mount -t tmpfs -o size=${size},mode=0755 ${DEVICE} "$0" && exec "$@"`,
        mountpoint,
      ],
    });
    const unsharePid = exporter.child.pid!;
    const children = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8')
      .trim()
      .split(/\s+/);
    innerPid = Number(children[0]);
    if (!Number.isInteger(innerPid) || innerPid <= 0) throw new Error(`no child under unshare ${unsharePid}`);
  } catch (error) {
    await stop();
    throw error;
  }
  const target = String(innerPid);
  const inside = async (command: string[]) => {
    const result = await run('nsenter', ['-t', target, '-m', '--', ...command]);
    if (result.code !== 0) throw new Error(`${command.join(' ')} in the namespace: ${result.stderr}`);
    return result.stdout;
  };
  return {
    exporter,
    mountpoint,
    device: DEVICE,
    inside,
    async statfs() {
      const [blocks, available, blockSize] = (await inside(['stat', '-f', '-c', '%b %a %S', mountpoint]))
        .trim()
        .split(' ')
        .map(Number);
      return { blocks: blocks!, available: available!, blockSize: blockSize! };
    },
    stop,
  };
}
