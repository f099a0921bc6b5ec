/**
 * A D-Bus system bus inside a systemd namespace (support/systemd-namespace.ts), so that the
 * namespace's systemd answers on org.freedesktop.systemd1 as it does on a booted machine.
 *
 * Debian's own dbus.socket and dbus.service pull in sysinit.target (which the namespace must
 * never start: see systemd-namespace.ts), so same-named units without default dependencies
 * replace them in /run/systemd/system. The names matter: systemd connects to the bus when it sees
 * dbus.socket and dbus.service running. No --systemd-activation: nothing gets started on demand.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { SystemdNamespace } from './systemd-namespace.js';

export const BUS_UNITS: Record<string, string> = {
  'dbus.socket': [
    '[Unit]',
    'DefaultDependencies=no',
    '[Socket]',
    'ListenStream=/run/dbus/system_bus_socket',
    '',
  ].join('\n'),
  'dbus.service': [
    '[Unit]',
    'Description=D-Bus system bus (test)',
    'DefaultDependencies=no',
    'Requires=dbus.socket',
    '[Service]',
    'Type=notify',
    'NotifyAccess=main',
    'ExecStart=/usr/bin/dbus-daemon --system --address=systemd: --nofork --nopidfile --syslog-only',
    '',
  ].join('\n'),
};

/** Starts the bus (BUS_UNITS must be installed) and waits until systemd is on it. */
export async function startSystemBus(ns: SystemdNamespace, timeoutMs = 20_000): Promise<void> {
  const started = await ns.run(['systemctl', 'start', 'dbus.socket', 'dbus.service']);
  if (started.code !== 0) throw new Error(`the namespace's bus did not start: ${started.stderr}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const owner = await ns.run(['busctl', '--system', 'status', 'org.freedesktop.systemd1'], 5000);
    if (owner.code === 0 && /^PID=1$/m.test(owner.stdout)) return;
    if (Date.now() > deadline) {
      throw new Error(`systemd did not join the namespace's bus within ${timeoutMs} ms: ${owner.stderr}`);
    }
    await delay(100);
  }
}
