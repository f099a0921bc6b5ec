/**
 * Network namespaces for tests that need a real network and a real firewall without touching
 * the host's: two namespaces joined by a veth pair, created under unique names and deleted
 * afterwards (also when the test fails or the process exits). Every nft command a test runs
 * goes through `inNamespace`, so it can only ever reach a namespace the test created.
 *
 *   A: veth-a 10.77.0.1/24  fd77::1/64           B: veth-b 10.77.0.2/24, 10.77.0.3/24  fd77::2/64
 *
 * The device pair is created from inside A (`ip -n A link add … peer … netns B`), so it never
 * exists, even for a moment, in the host's namespace.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';
import { EXPORTER_DIR } from './exporter.js';

const run = promisify(execFile);

export const ADDR = {
  a: '10.77.0.1',
  b: '10.77.0.2',
  /** A second address of B: the source of the API calls that must not be blocked. */
  b2: '10.77.0.3',
  a6: 'fd77::1',
  b6: 'fd77::2',
} as const;

const live = new Set<string>();
process.on('exit', () => {
  // Last resort for a test that died before its after() hook: synchronous, best effort.
  for (const ns of live) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
});

/** Whether `ns` is a namespace this test process created and has not deleted yet. */
export function isLiveNamespace(ns: string): boolean {
  return live.has(ns);
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs a program inside a namespace the test created (never in the host's). */
export async function inNamespace(ns: string, argv: string[], input?: string): Promise<CommandResult> {
  if (!live.has(ns)) throw new Error(`${ns} is not a namespace this test created`);
  return new Promise((resolve) => {
    const child = execFile(
      'ip',
      ['netns', 'exec', ns, ...argv],
      { timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ stdout, stderr, code });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/**
 * The elements nft holds in one of Hyperion's sets (`inet hyperion`) inside a namespace, each as
 * the JSON text `nft -j` lists it (`{"elem":{"val":"192.0.2.7","comment":"hyperion:<id> …"}}`);
 * [] when the table or the set does not exist.
 */
export async function hyperionSetElements(ns: string, set: string): Promise<string[]> {
  const r = await inNamespace(ns, ['nft', '-j', 'list', 'set', 'inet', 'hyperion', set]);
  if (r.code !== 0) return [];
  const doc = JSON.parse(r.stdout) as { nftables: { set?: { elem?: unknown[] } }[] };
  return (doc.nftables.find((x) => x.set)?.set?.elem ?? []).map((e) => JSON.stringify(e));
}

export interface NetnsPair {
  a: string;
  b: string;
  destroy(): Promise<void>;
}

async function ip(...args: string[]): Promise<void> {
  await run('ip', args, { timeout: 20_000 });
}

/**
 * `ipv6: false` turns IPv6 off in both namespaces: no link-local address, no neighbour
 * discovery, so the veth counters move only with the test's own traffic.
 */
export async function createNetnsPair(label: string, options: { ipv6?: boolean } = {}): Promise<NetnsPair> {
  const ipv6 = options.ipv6 ?? true;
  const id = `${process.pid}-${randomBytes(3).toString('hex')}`;
  const a = `hyp-${label}-${id}-a`;
  const b = `hyp-${label}-${id}-b`;
  const destroy = async () => {
    for (const ns of [a, b]) {
      if (!live.has(ns)) continue;
      await run('ip', ['netns', 'del', ns]).catch(() => undefined);
      live.delete(ns);
    }
  };
  try {
    for (const ns of [a, b]) {
      await ip('netns', 'add', ns);
      live.add(ns);
      const v6 = ipv6 ? '0' : '1';
      await inNamespace(ns, [
        'sysctl',
        '-q',
        '-w',
        `net.ipv6.conf.all.disable_ipv6=${v6}`,
        `net.ipv6.conf.default.disable_ipv6=${v6}`,
      ]);
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    await ip('-n', a, 'link', 'add', 'veth-a', 'type', 'veth', 'peer', 'name', 'veth-b', 'netns', b);
    await ip('-n', a, 'addr', 'add', `${ADDR.a}/24`, 'dev', 'veth-a');
    if (ipv6) await ip('-n', a, 'addr', 'add', `${ADDR.a6}/64`, 'dev', 'veth-a', 'nodad');
    await ip('-n', b, 'addr', 'add', `${ADDR.b}/24`, 'dev', 'veth-b');
    await ip('-n', b, 'addr', 'add', `${ADDR.b2}/24`, 'dev', 'veth-b');
    if (ipv6) await ip('-n', b, 'addr', 'add', `${ADDR.b6}/64`, 'dev', 'veth-b', 'nodad');
    await ip('-n', a, 'link', 'set', 'veth-a', 'up');
    await ip('-n', b, 'link', 'set', 'veth-b', 'up');
  } catch (error) {
    await destroy();
    throw error;
  }
  return { a, b, destroy };
}

interface Reply {
  id: number;
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

/** A netns-agent.ts process inside a namespace, and its request/answer channel. */
export class Agent {
  private nextId = 1;
  private readonly waiting = new Map<number, (r: Reply) => void>();
  private readonly sockets: string[] = [];

  private constructor(
    readonly ns: string,
    private readonly child: ChildProcess,
  ) {}

  get pid(): number {
    // `ip netns exec` execs the program: the child's pid is the agent's own.
    return this.child.pid!;
  }

  static async start(ns: string): Promise<Agent> {
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        process.execPath,
        '--import',
        'tsx',
        path.join(EXPORTER_DIR, 'test/support/netns-agent.ts'),
      ],
      { cwd: EXPORTER_DIR, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const agent = new Agent(ns, child);
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`agent in ${ns} did not start`)), 30_000);
      agent.waiting.set(0, () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`agent in ${ns} exited with ${code}`));
      });
    });
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const r = JSON.parse(line) as Reply;
      agent.waiting.get(r.id)?.(r);
      agent.waiting.delete(r.id);
    });
    await ready;
    return agent;
  }

  async request(op: string, args: Record<string, unknown> = {}): Promise<Reply> {
    const id = this.nextId++;
    const answer = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`agent ${this.ns}: no answer to ${op}`)), 30_000);
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
    this.child.stdin!.write(`${JSON.stringify({ id, op, ...args })}\n`);
    const r = await answer;
    if (!r.ok) throw new Error(`agent ${this.ns} ${op}: ${r.error}`);
    return r;
  }

  /** "ok" (the greeting arrived), "timeout", "refused" or "error:…". */
  async connect(
    host: string,
    port: number,
    options: { timeoutMs?: number; from?: string; hold?: boolean } = {},
  ) {
    const r = await this.request('connect', {
      host,
      port,
      timeoutMs: options.timeoutMs ?? 1500,
      ...(options.from ? { localAddress: options.from } : {}),
      ...(options.hold ? { hold: true } : {}),
    });
    return { result: String(r.result), localPort: r.localPort as number | undefined };
  }

  /**
   * An HTTP base URL in the host's namespace that reaches host:port inside this agent's
   * namespace (from `from`, when given): 127.0.0.1 → Unix socket → the agent → TCP.
   */
  async bridge(host: string, port: number, from?: string): Promise<{ url: string; close(): void }> {
    const socketPath = path.join(
      os.tmpdir(),
      `hyp-bridge-${process.pid}-${randomBytes(4).toString('hex')}.sock`,
    );
    this.sockets.push(socketPath);
    await this.request('bridge', { path: socketPath, host, port, ...(from ? { localAddress: from } : {}) });
    const server = net.createServer((client) => {
      const upstream = net.connect(socketPath);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port: local } = server.address() as net.AddressInfo;
    return { url: `http://127.0.0.1:${local}`, close: () => server.close() };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.stdin!.end();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000).unref())]);
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    }
    for (const s of this.sockets) rmSync(s, { force: true });
  }
}
