/**
 * A real systemd as PID 1 of a new PID + mount namespace, for tests and fixture captures that
 * need a real service manager on a machine where systemd is not PID 1.
 *
 * The usual recipe (`--unit=basic.target` on the shared file system) is NOT safe:
 * basic.target pulls in sysinit.target, and on this machine that once wiped the host's /tmp
 * (systemd-tmpfiles --remove: `D /tmp`), renamed the host's eth0 (udev coldplug), left dangling
 * /dev/log and /dev/initctl symlinks in the host's devtmpfs and flushed a journal into
 * /var/log/journal. So this systemd boots a target of our own that wants only journald, and
 * everything it writes is private to its namespace:
 * - /run, /dev, /etc/systemd/system and /var/log/journal are fresh tmpfs mounts (enable/disable
 *   write their symlinks below /etc/systemd/system; socket units create symlinks in /dev);
 * - `container=` tells systemd it is in a container: no kernel modules, no hardware setup;
 * - UTS and IPC namespaces, so setting the hostname or IPC objects stays inside;
 * - test units must say DefaultDependencies=no, or starting them would pull sysinit.target in.
 * The network namespace is the host's on purpose: the exporter inside listens on 127.0.0.1 and
 * the test reaches it there.
 *
 * Two options, for a test that installs a Debian package (test/integration/package.test.ts):
 * - `overlayRoot`: systemd boots on a copy-on-write view of the host's whole file system, an
 *   overlay whose lower layer is the host's / and whose upper layer is a tmpfs of the namespace
 *   (mounted on the given empty host directory, seen by the namespace alone). dpkg's database,
 *   the users useradd writes, /etc, /usr and /var/lib all change in that tmpfs and vanish with
 *   the namespace: a maintainer script cannot reach the host's files even by mistake.
 * - `privateNetwork`: a network namespace of its own (loopback only), so what a package starts
 *   on its default port can meet nothing of the host's; `run` and `wrapper` enter it too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { EXPORTER_DIR } from './exporter.js';

export const TEST_TARGET = 'hyperion-test.target';

const BOOT = `set -eu
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=755 tmpfs /dev
mknod -m 666 /dev/null c 1 3
mknod -m 666 /dev/zero c 1 5
mknod -m 666 /dev/full c 1 7
mknod -m 666 /dev/random c 1 8
mknod -m 666 /dev/urandom c 1 9
mknod -m 666 /dev/tty c 5 0
mknod -m 600 /dev/kmsg c 1 11
mount -t tmpfs -o mode=755 tmpfs /etc/systemd/system
if [ -d /var/log/journal ]; then mount -t tmpfs -o mode=2755 tmpfs /var/log/journal; fi
mkdir -p /run/systemd/system
ln -s /dev/null /run/systemd/system/systemd-journald-audit.socket
cat > /run/systemd/system/${TEST_TARGET} <<'UNIT'
[Unit]
Description=Hyperion test boot target
DefaultDependencies=no
Wants=systemd-journald.service
UNIT
exec env container=hyperion-test /lib/systemd/systemd --system --unit=${TEST_TARGET}
`;

/**
 * Moves the namespace onto an overlay of the host's / (see above) before it boots. /sys keeps
 * its cgroup mounts (systemd needs them); /proc is mounted afresh for the namespace's PIDs.
 */
const overlayRootScript = (scratch: string) => `set -eu
S='${scratch}'
mount -t tmpfs -o mode=700 tmpfs "$S"
mkdir "$S/upper" "$S/work" "$S/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$S/upper,workdir=$S/work" "$S/root"
mount --rbind /sys "$S/root/sys"
mkdir -p "$S/root/run/hyperion-old-root"
cd "$S/root"
pivot_root . run/hyperion-old-root
cd /
mount -t proc proc /proc
umount -l /run/hyperion-old-root
`;

export interface SystemdNamespaceOptions {
  /** An empty host directory: boot on an overlay of the host's / with a private upper layer. */
  overlayRoot?: string;
  /** A network namespace of the namespace's own (loopback only) instead of the host's. */
  privateNetwork?: boolean;
}

export interface NsRunResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

export interface SystemdNamespace {
  /** The namespace's systemd, as the host sees it. */
  pid: number;
  /** Prefix for a command to run inside (startExporter's `wrapper`), in the exporter's directory. */
  wrapper: string[];
  /** Runs a program inside the namespace (argument vector, never a shell string). */
  run(argv: readonly string[], timeoutMs?: number): Promise<NsRunResult>;
  /** Writes unit files (name → text) to /run/systemd/system inside the namespace and reloads systemd. */
  installUnits(units: Record<string, string>): Promise<void>;
  /** SIGKILLs the namespace's systemd, which ends every process of the namespace with it. */
  stop(): Promise<void>;
}

/** Namespaces still running; killed when the test process exits, even after a failure. */
const running = new Set<number>();
process.once('exit', () => {
  for (const pid of running) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function childOf(parent: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) return Number(entry);
    } catch {
      // ended while we looked
    }
  }
  return undefined;
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function runIn(
  pid: number,
  argv: readonly string[],
  timeoutMs: number,
  namespaces: readonly string[] = ['-m', '-p'],
): Promise<NsRunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', ['-t', String(pid), ...namespaces, '--', ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
  });
}

export async function startSystemdNamespace(
  timeoutMs = 30_000,
  options: SystemdNamespaceOptions = {},
): Promise<SystemdNamespace> {
  if (options.overlayRoot !== undefined && !/^\/[A-Za-z0-9_./-]+$/.test(options.overlayRoot)) {
    throw new Error(`not a plain absolute path: ${options.overlayRoot}`);
  }
  const namespaces = options.privateNetwork ? ['-m', '-p', '-n'] : ['-m', '-p'];
  const boot = [
    options.overlayRoot !== undefined ? overlayRootScript(options.overlayRoot) : '',
    // systemd brings loopback up itself too; the namespace's processes may start before it does.
    options.privateNetwork ? 'ip link set lo up\n' : '',
    BOOT,
  ].join('');
  const unshare: ChildProcess = spawn(
    'unshare',
    [
      '--pid',
      '--fork',
      '--mount',
      '--uts',
      '--ipc',
      ...(options.privateNetwork ? ['--net'] : []),
      '--mount-proc',
      '--propagation',
      'private',
      'sh',
      '-c',
      boot,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let bootLog = '';
  unshare.stderr!.setEncoding('utf8').on('data', (c: string) => (bootLog += c));
  const exited = new Promise<void>((resolve) => unshare.once('exit', () => resolve()));
  const deadline = Date.now() + timeoutMs;

  let pid: number | undefined;
  const stop = async () => {
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
      running.delete(pid);
    } else if (unshare.exitCode === null) {
      unshare.kill('SIGKILL');
    }
    await Promise.race([exited, delay(5000)]);
  };

  try {
    // unshare --fork: the namespace's PID 1 is unshare's child, first `sh`, then systemd.
    while (pid === undefined) {
      if (unshare.exitCode !== null) throw new Error(`unshare exited with ${unshare.exitCode}: ${bootLog}`);
      if (Date.now() > deadline) throw new Error(`systemd did not start within ${timeoutMs} ms: ${bootLog}`);
      const child = childOf(unshare.pid!);
      if (child !== undefined && comm(child) === 'systemd') pid = child;
      else await delay(50);
    }
    running.add(pid);
    // "running" once the boot target is reached; "degraded" would name a failed unit, which
    // in a namespace this small is a failure of the recipe, not something to test around.
    for (;;) {
      const state = await runIn(pid, ['systemctl', 'is-system-running'], 5000, namespaces);
      if (state.stdout.trim() === 'running') break;
      if (Date.now() > deadline) {
        throw new Error(`systemd in the namespace is "${state.stdout.trim()}" after ${timeoutMs} ms`);
      }
      await delay(100);
    }
  } catch (error) {
    await stop();
    throw error;
  }

  const nsPid = pid;
  const run = (argv: readonly string[], ms = 20_000) => runIn(nsPid, argv, ms, namespaces);
  return {
    pid: nsPid,
    // nsenter -m would start in "/", where `node --import tsx` finds no tsx.
    wrapper: ['nsenter', '-t', String(nsPid), ...namespaces, `--wd=${EXPORTER_DIR}`, '--'],
    run,
    async installUnits(units) {
      for (const [name, text] of Object.entries(units)) {
        if (!/^[A-Za-z0-9_.@-]+$/.test(name)) throw new Error(`not a unit name: ${name}`);
        // /proc/<pid>/root is the namespace's view of the file system, private /run included.
        writeFileSync(`/proc/${nsPid}/root/run/systemd/system/${name}`, text);
      }
      // One reload for all: each runs every generator again, a second or two on a loaded machine.
      const reload = await run(['systemctl', 'daemon-reload']);
      if (reload.code !== 0) throw new Error(`daemon-reload failed: ${reload.stderr}`);
    },
    stop,
  };
}
