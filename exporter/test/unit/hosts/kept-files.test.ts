/**
 * LocalHost keeps handles on the procfs files it reads again and again (hosts/local-host.ts,
 * KeptFileHandles) and rereads them with pread(2). Against the real /proc of this machine: the
 * text stays whole and current, and /proc/self is never kept.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { LocalHost } from '../../../src/hosts/local-host.js';

const openFds = (): number => readdirSync('/proc/self/fd').length;

/** The first column of each line: what stays put while the numbers move. */
const shape = (text: string): string[] => text.split('\n').map((line) => line.split(/\s+/)[0] ?? '');

describe('sysfs reads', () => {
  it('reads an attribute whole in one read, and a binary file of many pages whole too', async () => {
    const host = new LocalHost();
    const mtu = '/sys/class/net/lo/mtu';
    assert.equal(await host.readFile(mtu), readFileSync(mtu, 'utf8'));
    // BTF type information: megabytes, handed out a page per read.
    const btf = '/sys/kernel/btf/vmlinux';
    assert.equal((await host.readFile(btf)).length, readFileSync(btf, 'utf8').length);
    // A sysctl allocates in the kernel whatever count a read asks for: after a file that large,
    // a read must still not ask for megabytes (that fails with ENOMEM).
    const pidMax = '/proc/sys/kernel/pid_max';
    assert.equal(await host.readFile(pidMax), readFileSync(pidMax, 'utf8'));
  });
});

describe('kept procfs handles', () => {
  it('reads a seq_file of many pages whole, the first time and through the kept handle', async () => {
    const host = new LocalHost();
    const truth = readFileSync('/proc/slabinfo', 'utf8');
    assert.ok(truth.length > 3 * 4096, `slabinfo is ${truth.length} bytes: not a multi-page file here`);
    const first = await host.readFile('/proc/slabinfo');
    const again = await host.readFile('/proc/slabinfo');
    assert.deepEqual(shape(first), shape(truth));
    assert.deepEqual(shape(again), shape(truth));
  });

  it('keeps one handle per system-wide file and answers with the current text on every read', async () => {
    const host = new LocalHost();
    const before = openFds();
    const ctxt = async () => Number(/^ctxt (\d+)$/m.exec(await host.readFile('/proc/stat'))![1]);
    const first = await ctxt();
    assert.equal(openFds(), before + 1, 'the handle on /proc/stat stays open');
    // Context switches happen while we wait: a stale (cached) text would not show them.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = await ctxt();
    assert.ok(second > first, `ctxt ${first} then ${second}`);
    assert.equal(openFds(), before + 1, 'the second read used the same handle');
    const batch = await host.readFiles(['/proc/stat', '/proc/loadavg', '/proc/sys/kernel/pid_max']);
    assert.ok([...batch.values()].every((r) => r.ok));
    assert.equal(openFds(), before + 3);
  });

  it("never keeps /proc/self or another process's status, and keeps nothing when told so", async () => {
    const host = new LocalHost();
    const before = openFds();
    assert.match(await host.readFile('/proc/self/status'), /^Name:/);
    assert.match(
      await host.readFile(`/proc/${process.pid}/status`),
      new RegExp(`^Pid:\\s+${process.pid}$`, 'm'),
    );
    assert.equal(openFds(), before);

    const unkept = new LocalHost({}, 'local', { keptFiles: { max: 0 } });
    await unkept.readFile('/proc/stat');
    assert.equal(openFds(), before);
  });

  it('reads a file that refuses pread the ordinary way, heads as heads', async () => {
    // A FIFO as a "procfs" file: pread(2) on it fails with ESPIPE, as on any pipe.
    const procfs = mkdtempSync(path.join(os.tmpdir(), 'hyperion-fifo-proc-'));
    const fifo = path.join(procfs, 'loadavg');
    execFileSync('mkfifo', [fifo]);
    const line = '0.50 0.40 0.30 1/100 1234\n';
    // One writer per open of the FIFO by the reader; a reader that leaves early is no signal.
    const writer = spawn(
      'sh',
      ['-c', `trap '' PIPE; while :; do printf '${line.trim()}\\n' >"$1" || :; done`, 'sh', fifo],
      {
        stdio: 'ignore',
      },
    );
    try {
      const host = new LocalHost({ procfs, sysfs: '/sys', rootfs: '/' });
      const heads = await host.readFileHeads([fifo], 4);
      assert.deepEqual(heads.get(fifo), { ok: true, text: '0.50' });
      // A pipe holds whatever the writer wrote since (and the rest of the line the head left).
      assert.ok((await host.readFile(fifo)).includes(line));
    } finally {
      writer.kill('SIGKILL');
      rmSync(procfs, { recursive: true, force: true });
    }
  });
});
