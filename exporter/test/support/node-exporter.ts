/**
 * Debian's prometheus-node-exporter, started for a test on a free loopback port: the reference
 * Hyperion's collectors are compared with (scripts/install-test-deps.sh installs it).
 */
import { startDaemonOnFreePort, type DaemonOnPort } from './daemon.js';

export const NODE_EXPORTER_BIN =
  process.env.HYPERION_NODE_EXPORTER_BIN ?? '/usr/bin/prometheus-node-exporter';

export interface RunningNodeExporter extends DaemonOnPort {
  url: string;
}

export async function startNodeExporter(args: readonly string[]): Promise<RunningNodeExporter> {
  const daemon = await startDaemonOnFreePort((port) => ({
    name: 'node_exporter',
    binary: NODE_EXPORTER_BIN,
    args: [`--web.listen-address=127.0.0.1:${port}`, ...args],
    readyUrl: `http://127.0.0.1:${port}/metrics`,
  }));
  return { ...daemon, url: `http://127.0.0.1:${daemon.port}` };
}
