/**
 * A host in privilege mode sudo, for real: a login user that is not root, the agent installed
 * as root's file and the README's one sudoers line (support/sshd.ts `login`, in a mount namespace
 * of the server's own). Reads and programs run as the login user; privileged verbs on the
 * installed agent through `sudo -n`, as root; that agent serves no reads and no programs, whatever
 * its command line says; and an installed agent of another version, or none, is refused with a
 * message saying how to install it.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { isAgentRefusal } from '../../src/hosts/agent/connection.js';
import { AGENT_PATH } from '../../src/hosts/agent/launch.js';
import { SshHost } from '../../src/hosts/ssh-host.js';
import { fetchHostKey, type HostKey } from '../../src/hosts/ssh/host-key.js';
import { SshMetrics } from '../../src/hosts/ssh/metrics.js';
import { generateKey, startSshd, testSshHost, type KeyPair, type RunningSshd } from '../support/sshd.js';

const failure = (promise: Promise<unknown>): Promise<Error> =>
  promise.then(
    () => assert.fail('expected a rejection'),
    (error: unknown) => error as Error,
  );

describe('a host in privilege mode sudo: one sudoers line for the installed agent', () => {
  let key: KeyPair;
  let sshd: RunningSshd;
  let hostKey: HostKey;
  const made: SshHost[] = [];
  const metrics = new SshMetrics(new Registry());

  const host = (name: string): SshHost => {
    const login = sshd.login!;
    const h = testSshHost(sshd, hostKey, {
      name,
      user: login.user,
      keyFile: key.privateKeyFile,
      settings: { privilege: 'sudo', agentPath: login.agentPath },
      metrics,
    });
    made.push(h);
    return h;
  };

  before(async () => {
    key = generateKey();
    sshd = await startSshd({ authorizedKeys: [key.publicKey], login: {} });
    hostKey = await fetchHostKey({ address: '127.0.0.1', port: sshd.port, timeoutMs: 10_000 });
  });
  after(async () => {
    for (const h of made) h.close();
    await sshd?.stop();
    key?.remove();
  });

  it('reads and runs as the login user, and acts as root only through the installed agent', async () => {
    const h = host('sudo-host');
    const uid = String(sshd.login!.uid);
    // The reading agent is the login user's: its own /proc/self says so, as does a program.
    const status = await h.readFile('/proc/self/status');
    assert.match(status, new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s`, 'm'));
    assert.equal((await h.run(['id', '-u'])).stdout.trim(), uid);
    // The login user cannot read /etc/shadow of the server's namespace; root could.
    const shadow = (await h.readFiles(['/etc/shadow'])).get('/etc/shadow')!;
    assert.equal(shadow.ok ? 'read' : (shadow.error as NodeJS.ErrnoException).code, 'EACCES');

    // The privileged agent: sudo -n ran it as root (hello's third field is its effective uid).
    const [name, protocol, euid] = await h.callPrivileged('hello', []);
    assert.deepEqual([name, protocol, euid], ['hyperion-agent', '1', '0']);

    // …and it serves no reads and no programs as root: those are not verbs of a borrowed agent.
    for (const [verb, args] of [
      ['read-many', ['/etc/shadow']],
      ['run', ['0', '100', '', '0', '', '0', 'id', '-u']],
    ] as const) {
      const refused = await failure(h.callPrivileged(verb, args));
      assert.ok(isAgentRefusal(refused) && refused.reason === 'unknown-verb', `${verb}: ${refused.message}`);
    }
  });

  it('refuses an installed agent of another version, saying how to install this one', async () => {
    const { agentPath, user } = sshd.login!;
    const shipped = readFileSync(AGENT_PATH, 'utf8');
    writeFileSync(agentPath, `${shipped}\n# an older release\n`);
    try {
      const error = await failure(host('old-agent').callPrivileged('hello', []));
      assert.match(
        error.message,
        /is another version \(digest [0-9a-f]{8}, this exporter's is [0-9a-f]{8}\)/,
      );
      assert.match(error.message, new RegExp(`install -D .* ${agentPath}`));
      assert.ok(error.message.includes(`${user} ALL=(root) NOPASSWD: ${agentPath}`), error.message);
    } finally {
      writeFileSync(agentPath, shipped);
    }
  });

  it('says what to do when sudo will not start the agent', async () => {
    const { sudoersFile, agentPath, user } = sshd.login!;
    const line = readFileSync(sudoersFile, 'utf8');
    rmSync(sudoersFile);
    try {
      const error = await failure(host('no-sudoers').callPrivileged('hello', []));
      assert.match(error.message, /sudo -n refused to start/);
      assert.ok(error.message.includes(`${user} ALL=(root) NOPASSWD: ${agentPath}`), error.message);
    } finally {
      writeFileSync(sudoersFile, line, { mode: 0o440 });
    }
    // With the line back, a new agent starts.
    assert.equal((await host('sudoers-back').callPrivileged('hello', []))[2], '0');
  });
});
