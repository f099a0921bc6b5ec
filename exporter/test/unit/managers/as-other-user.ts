/**
 * Run by processes.test.ts as an unprivileged user (uid 65534): what the manager answers when
 * the exporter may not look at or act on another user's process. Prints one JSON line.
 * Arguments: a root-owned pid, and a pid owned by this same user.
 */
import { LocalHost } from '../../../src/hosts/local-host.js';
import { ProcessManager } from '../../../src/managers/processes.js';
import { errorMessage, isHyperionError } from '../../../src/util/errors.js';

async function outcome(action: () => Promise<unknown>): Promise<unknown> {
  try {
    return { ok: true, value: await action() };
  } catch (error) {
    return { ok: false, type: isHyperionError(error) ? error.type : 'raw', message: errorMessage(error) };
  }
}

const [rootPid, ownPid] = process.argv.slice(2).map(Number);
const manager = new ProcessManager(new LocalHost(), { selfPid: process.pid });
const result = {
  uid: process.getuid?.(),
  getRoot: await outcome(() => manager.get(rootPid!)),
  signalRoot: await outcome(() => manager.signal(rootPid!, 'TERM')),
  reniceRoot: await outcome(() => manager.renice(rootPid!, 3)),
  raiseOwn: await outcome(() => manager.renice(ownPid!, -5)),
  lowerOwn: await outcome(() => manager.renice(ownPid!, 4)),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
