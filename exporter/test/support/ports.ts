/**
 * Free loopback ports for programs that cannot announce the port they bound (Prometheus,
 * Alertmanager, sshd). The port is free when returned; a program started a moment later can
 * still lose a race for it, so callers that start servers retry on "address already in use".
 */
import net from 'node:net';

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`could not read the port bound on ${host}`));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/** True when a server process failed because its port was taken between freePort() and bind(). */
export function isAddressInUse(log: string): boolean {
  return /address already in use|EADDRINUSE/i.test(log);
}
