/**
 * Reaching the root agent of this machine through its Unix socket: root's, mode 0660, group of
 * the exporter's user (systemd's hyperion-agent.socket, or the agent's own --listen mode when the
 * exporter was started as root and dropped its privileges). Each connection is one agent process
 * on the other side; closing the connection ends it, and whatever program it was running.
 */
import net from 'node:net';
import { HyperionError } from '../../util/errors.js';
import type { AgentConnection, AgentTransport } from './connection.js';
import type { SecretPaths } from './launch.js';

export function connectAgentSocket(path: string, timeoutMs: number): Promise<AgentTransport> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ path });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new HyperionError(
          'unavailable',
          `the root agent's socket ${path} did not answer within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    const listeners: ((why: string) => void)[] = [];
    let gone = false;
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (!gone)
        reject(
          new HyperionError(
            'unavailable',
            `cannot reach the root agent at ${path}: ${error.code ?? error.message}`,
          ),
        );
    });
    socket.once('close', () => {
      if (gone) return;
      gone = true;
      for (const l of listeners) l('its connection closed');
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.unref();
      resolve({
        input: socket,
        output: socket,
        close: () => socket.destroy(),
        onGone: (listener) => listeners.push(listener),
        // An idle connection never keeps the exporter (or a test) alive.
        hold: (busy) => (busy ? socket.ref() : socket.unref()),
      });
    });
  });
}

/** Tells a shared agent what this exporter never serves (the agent takes it once, first). */
export async function sendSecrets(
  connection: AgentConnection,
  secrets: SecretPaths,
  timeoutMs: number,
): Promise<void> {
  const pairs = [...secrets.deny.flatMap((p) => ['deny', p]), ...secrets.allow.flatMap((p) => ['allow', p])];
  await connection.call('secrets', pairs, timeoutMs);
}
