/**
 * Run by processes.test.ts: what the manager answers when the exporter, as an unprivileged user
 * (uid 65534), may not look at or act on another user's process. Prints one JSON line.
 * Arguments: a root-owned pid, and a pid owned by uid 65534.
 *
 * It starts as root and drops to uid 65534 once its modules are loaded: the checkout it runs
 * from (a CI clone under a 0700 temporary directory, say) need not be readable by that user.
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

const NOBODY = 65534;
process.setgroups?.([]);
process.setgid?.(NOBODY);
process.setuid?.(NOBODY);

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
