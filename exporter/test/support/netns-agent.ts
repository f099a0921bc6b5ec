/**
 * A helper process that runs inside a test's network namespace (`ip netns exec NS node …`) and
 * does network things there on request: listen, connect, send UDP, and bridge a Unix socket to
 * a TCP address of the namespace. Requests and answers are JSON lines on stdin/stdout.
 *
 * The bridge is how the test — in the host's namespace — reaches an exporter inside one: a
 * path-bound Unix socket belongs to the file system, not to a network namespace, so it is the
 * one door between the two.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import readline from 'node:readline';

type Request =
  | { id: number; op: 'pid' }
  | { id: number; op: 'listen'; host: string; port: number }
  | {
      id: number;
      op: 'connect';
      host: string;
      port: number;
      timeoutMs: number;
      localAddress?: string;
      hold?: boolean;
    }
  | { id: number; op: 'release' }
  | { id: number; op: 'udp'; host: string; port: number; count: number; size: number }
  | { id: number; op: 'bridge'; path: string; host: string; port: number; localAddress?: string };

const servers: net.Server[] = [];
const held: net.Socket[] = [];
const accepted = new Set<net.Socket>();

function reply(id: number, body: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ id, ...body })}\n`);
}

/** Connects and waits for the server's greeting: "ok" only when data really flowed. */
function connect(r: Extract<Request, { op: 'connect' }>): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const socket = net.connect({
      host: r.host,
      port: r.port,
      ...(r.localAddress ? { localAddress: r.localAddress } : {}),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ result: 'timeout' });
    }, r.timeoutMs);
    socket.once('data', () => {
      clearTimeout(timer);
      if (r.hold) held.push(socket);
      else socket.destroy();
      resolve({ result: 'ok', localPort: socket.localPort });
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ result: e.code === 'ECONNREFUSED' ? 'refused' : `error:${e.code ?? e.message}` });
    });
  });
}

async function handle(r: Request): Promise<Record<string, unknown>> {
  switch (r.op) {
    case 'pid':
      return { pid: process.pid };
    case 'listen': {
      const server = net.createServer((socket) => {
        accepted.add(socket);
        socket.on('close', () => accepted.delete(socket));
        socket.on('error', () => undefined);
        socket.write('hello\n');
      });
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(r.port, r.host, () => resolve());
      });
      return { port: (server.address() as net.AddressInfo).port };
    }
    case 'connect':
      return connect(r);
    case 'release':
      for (const s of held.splice(0)) s.destroy();
      return {};
    case 'udp': {
      const family = net.isIPv6(r.host) ? 'udp6' : 'udp4';
      const socket = dgram.createSocket(family);
      const payload = Buffer.alloc(r.size, 0x61);
      for (let i = 0; i < r.count; i += 1) {
        await new Promise<void>((resolve, reject) =>
          socket.send(payload, r.port, r.host, (e) => (e ? reject(e) : resolve())),
        );
      }
      socket.close();
      return {};
    }
    case 'bridge': {
      const server = net.createServer((client) => {
        const upstream = net.connect({
          host: r.host,
          port: r.port,
          ...(r.localAddress ? { localAddress: r.localAddress } : {}),
        });
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      });
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(r.path, () => resolve());
      });
      return {};
    }
  }
}

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const r = JSON.parse(line) as Request;
  handle(r).then(
    (body) => reply(r.id, { ok: true, ...body }),
    (e: unknown) => reply(r.id, { ok: false, error: e instanceof Error ? e.message : String(e) }),
  );
});
// The test closes stdin when done (or dies): leave with it, never outlive the test.
lines.on('close', () => process.exit(0));
reply(0, { ok: true, ready: true });
