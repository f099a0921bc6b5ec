/**
 * The SSH host inventory through the control API, against real OpenSSH servers on 127.0.0.1:
 * adding a host fetches its key and leaves it unusable until an admin approves that exact
 * fingerprint; a server whose key is replaced afterwards is refused loudly (log, metric, probe);
 * a new key is fetched again and approved; bad input changes nothing; every change is an
 * audited admin action with a second factor.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { parseExposition } from '../support/exposition.js';
import { startApi, type ApiClient, type ApiFixture, type Authenticator } from '../support/api.js';
import { generateKey, startSshd, type KeyPair, type RunningSshd } from '../support/sshd.js';

interface HostView {
  name: string;
  approved: boolean;
  address: string;
  port: number;
  labels: Record<string, string>;
  hostKey: { fingerprint: string } | null;
  pendingHostKey: { fingerprint: string } | null;
  connection: { state: string; hostKeyMismatch: boolean; lastError: string | null } | null;
  addedBy: string;
  approvedBy: string | null;
}

async function metric(
  url: string,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  // Only the family asked for: prom-client's event-loop gauges read "Nan" before their first sample.
  const text = (await (await fetch(`${url}/metrics`)).text())
    .split('\n')
    .filter((l) => l.startsWith(name))
    .join('\n');
  return parseExposition(text).samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )?.value;
}

async function probe(api: ApiFixture, target: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${api.exporter.url}/probe?target=${target}`, {
    headers: { 'x-prometheus-scrape-timeout-seconds': '10', authorization: `Bearer ${api.viewer.token}` },
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, text: await res.text() };
}

describe('SSH host inventory: key pinning and approval', () => {
  let api: ApiFixture;
  let client: KeyPair;
  let sshdA: RunningSshd;
  let sshdB: RunningSshd;
  const extra: RunningSshd[] = [];
  /** Enrolled admins: each gives two codes at once (the step before now was spent on enrolment). */
  const admins: { client: ApiClient; auth: Authenticator }[] = [];
  let turn = 0;
  const admin = () => admins[turn++ % admins.length]!;
  const call = (method: string, path: string, body?: unknown) => {
    const a = admin();
    return a.auth
      .next()
      .then((otp) => a.client.call<HostView>(method, path, { ...(body === undefined ? {} : { body }), otp }));
  };

  before(async () => {
    client = generateKey();
    [sshdA, sshdB] = await Promise.all([
      startSshd({ authorizedKeys: [client.publicKey] }),
      startSshd({ authorizedKeys: [client.publicKey] }),
    ]);
    api = await startApi();
    for (let i = 0; i < 8; i++) {
      const c = api.client(`inventory-admin-${i}`, 'admin');
      admins.push({ client: c, auth: await api.enrol(c) });
    }
  });
  after(async () => {
    await api?.stop();
    await Promise.all([sshdA?.stop(), sshdB?.stop(), ...extra.map((s) => s.stop())]);
    client?.remove();
  });

  const addBody = (name: string, port: number, labels: Record<string, string> = {}) => ({
    name,
    address: '127.0.0.1',
    port,
    user: 'root',
    auth: { type: 'key', privateKeyFile: client.privateKeyFile },
    labels,
  });

  it('adds a host with its fetched fingerprint, unusable until that fingerprint is approved', async () => {
    const added = await call('post', '/hosts', addBody('alpha', sshdA.port, { env: 'test', team: 'ops' }));
    assert.equal(added.status, 201, added.text);
    assert.equal(added.body.approved, false);
    assert.equal(added.body.hostKey, null);
    assert.equal(added.body.pendingHostKey?.fingerprint, sshdA.fingerprint, 'the key the server really has');

    // Unusable: routes refuse it (before spending a code), /probe refuses it, SD omits it.
    const processes = await api.viewer.call('get', '/hosts/alpha/processes?limit=1');
    assert.equal(processes.status, 409, processes.text);
    assert.match(processes.text, /approves its host key/);
    assert.equal((await probe(api, 'alpha')).status, 400);
    assert.deepEqual((await api.viewer.call('get', '/targets')).body, []);

    // Approving a fingerprint other than the one presented approves nothing.
    const wrong = await call('post', '/hosts/alpha/approve', { fingerprint: sshdB.fingerprint });
    assert.equal(wrong.status, 409, wrong.text);
    assert.equal((await api.viewer.call<HostView>('get', '/hosts/alpha')).body.approved, false);

    const approved = await call('post', '/hosts/alpha/approve', { fingerprint: sshdA.fingerprint });
    assert.equal(approved.status, 200, approved.text);
    assert.equal(approved.body.approved, true);
    assert.equal(approved.body.hostKey?.fingerprint, sshdA.fingerprint);
    assert.equal(approved.body.approvedBy, 'inventory-admin-2');

    // Usable now: a probe logs in with the key and reads the host.
    const probed = await probe(api, 'alpha');
    assert.equal(probed.status, 200);
    assert.match(probed.text, /^hyperion_probe_success 1$/m);
    assert.match(probed.text, /^hyperion_memory_total_bytes \d+/m);
    const view = (await api.viewer.call<HostView>('get', '/hosts/alpha')).body;
    assert.equal(view.connection?.state, 'ready');
    assert.equal(await metric(api.exporter.url, 'hyperion_ssh_up', { host: 'alpha' }), 1);
    assert.equal(
      await metric(api.exporter.url, 'hyperion_ssh_connects_total', { host: 'alpha', result: 'success' }),
      1,
    );

    // In Prometheus' HTTP SD format, with the host's labels.
    const targets = await api.viewer.call<{ targets: string[]; labels: Record<string, string> }[]>(
      'get',
      '/targets',
    );
    assert.equal(targets.status, 200);
    assert.deepEqual(
      targets.body.map((g) => g.targets),
      [['alpha']],
    );
    assert.equal(targets.body[0]!.labels.env, 'test');
    assert.equal(targets.body[0]!.labels.team, 'ops');
    assert.equal(targets.body[0]!.labels.__meta_hyperion_address, '127.0.0.1');

    const audit = api.auditLines().filter((l) => String(l.action).startsWith('host.'));
    assert.deepEqual(
      audit.map((l) => [l.action, l.target, l.result, l.otpUsed]),
      [
        ['host.add', 'alpha', 'ok', true],
        // A wrong fingerprint is refused before the second factor: no code is spent on it.
        ['host.approve', 'alpha', 'refused', false],
        ['host.approve', 'alpha', 'ok', true],
      ],
    );
  });

  it('refuses bad input with a 4xx and changes nothing', async () => {
    const before = readFileSync(`${api.exporter.storagePath}/hosts.json`, 'utf8');
    const auditBefore = api.auditLines().length;
    const a = admin();
    const otp = await a.auth.next(); // every case below is refused before the code is checked
    const cases: [string, string, unknown, number, RegExp][] = [
      ['post', '/hosts', { ...addBody('local', sshdB.port) }, 400, /not "local"/],
      ['post', '/hosts', { ...addBody('bad name', sshdB.port) }, 400, /body\/name/],
      ['post', '/hosts', { ...addBody('b', 0) }, 400, /body\/port/],
      ['post', '/hosts', { ...addBody('b', 70000) }, 400, /body\/port/],
      ['post', '/hosts', { ...addBody('b', sshdB.port), address: '-oProxyCommand=x' }, 400, /body\/address/],
      ['post', '/hosts', { ...addBody('b', sshdB.port), user: 'root;id' }, 400, /body\/user/],
      ['post', '/hosts', { ...addBody('b', sshdB.port, { __name__: 'x' }) }, 400, /label name/],
      ['post', '/hosts', { ...addBody('b', sshdB.port, { 'bad-label': 'x' }) }, 400, /label name/],
      [
        'post',
        '/hosts',
        { ...addBody('b', sshdB.port), auth: { type: 'key', privateKeyFile: 'relative' } },
        400,
        /absolute path/,
      ],
      [
        'post',
        '/hosts',
        { ...addBody('b', sshdB.port), auth: { type: 'password', password: 'x' } },
        400,
        /body\/auth/,
      ],
      ['post', '/hosts', { ...addBody('b', sshdB.port), privilege: 'god' }, 400, /body\/privilege/],
      ['post', '/hosts', { ...addBody('b', sshdB.port), extra: 1 }, 400, /body/],
      ['post', '/hosts/local/approve', { fingerprint: sshdB.fingerprint }, 400, /not "local"/],
      ['post', '/hosts/alpha/approve', { fingerprint: 'MD5:aa:bb' }, 400, /SHA256/],
      ['patch', '/hosts/alpha', {}, 400, /nothing to change/],
      ['patch', '/hosts/alpha', { name: 'beta' }, 400, /body/],
      ['delete', '/hosts/local', undefined, 400, /not "local"/],
    ];
    for (const [method, path, body, status, detail] of cases) {
      const res = await a.client.call(method, path, { ...(body === undefined ? {} : { body }), otp });
      assert.equal(res.status, status, `${method} ${path} ${JSON.stringify(body)}: ${res.text}`);
      assert.match((res.body as { detail: string }).detail, detail, `${method} ${path}`);
    }
    // Valid requests that fail on their merits, after the code: unreadable key, no server there.
    const missingKey = await call('post', '/hosts', {
      ...addBody('beta', sshdB.port),
      auth: { type: 'key', privateKeyFile: '/nonexistent/id_ed25519' },
    });
    assert.equal(missingKey.status, 400, missingKey.text);
    assert.match(missingKey.text, /cannot read \/nonexistent\/id_ed25519/);
    const notAKey = await call('post', '/hosts', {
      ...addBody('beta', sshdB.port),
      auth: { type: 'key', privateKeyFile: '/etc/hostname' },
    });
    assert.equal(notAKey.status, 400, notAKey.text);
    assert.doesNotMatch(
      notAKey.text,
      new RegExp(readFileSync('/etc/hostname', 'utf8').trim() || 'x^'),
      'never quotes the file',
    );
    const closed = await startSshd({ authorizedKeys: [] });
    const port = closed.port;
    await closed.stop();
    const unreachable = await call('post', '/hosts', addBody('beta', port));
    assert.equal(unreachable.status, 503, unreachable.text);
    const duplicate = await call('post', '/hosts', addBody('alpha', sshdB.port));
    assert.equal(duplicate.status, 409, duplicate.text);

    assert.equal(
      readFileSync(`${api.exporter.storagePath}/hosts.json`, 'utf8'),
      before,
      'the inventory is unchanged',
    );
    const newLines = api.auditLines().slice(auditBefore);
    assert.ok(newLines.length >= cases.length);
    assert.deepEqual(
      newLines.filter((l) => l.result === 'ok'),
      [],
    );
  });

  it('refuses a server whose host key changed, loudly, until the new key is approved', async () => {
    // The same address and port, another server key: a reinstalled host, or a man in the middle.
    const port = sshdA.port;
    await sshdA.stop();
    const impostor = await startSshd({ authorizedKeys: [client.publicKey], port });
    extra.push(impostor);
    const probed = await probe(api, 'alpha');
    assert.equal(probed.status, 200);
    assert.match(probed.text, /^hyperion_probe_success 0$/m);
    assert.equal(await metric(api.exporter.url, 'hyperion_ssh_host_key_mismatch', { host: 'alpha' }), 1);
    assert.ok(
      (await metric(api.exporter.url, 'hyperion_ssh_connects_total', {
        host: 'alpha',
        result: 'host_key_mismatch',
      }))! >= 1,
    );
    const line = api.exporter.logs.find((l) => String(l.msg).startsWith('SSH HOST KEY MISMATCH'));
    assert.ok(line, 'an error line in the log');
    assert.equal(line.level, 50);
    assert.equal(line.presented, impostor.fingerprint);
    assert.equal(line.pinned, sshdA.fingerprint);
    const view = (await api.viewer.call<HostView>('get', '/hosts/alpha')).body;
    assert.equal(view.connection?.hostKeyMismatch, true);
    assert.match(view.connection?.lastError ?? '', /host key mismatch/);
    // Nothing ran on the impostor: the refusal came before authentication.
    assert.doesNotMatch(impostor.logTail(100), /Accepted publickey/);

    // The admin fetches the new key, compares it, approves it: the host works again.
    const rescanned = await call('post', '/hosts/alpha/rescan');
    assert.equal(rescanned.status, 200, rescanned.text);
    assert.equal(rescanned.body.pendingHostKey?.fingerprint, impostor.fingerprint);
    assert.equal(
      rescanned.body.hostKey?.fingerprint,
      sshdA.fingerprint,
      'the old key stays pinned until then',
    );
    const approved = await call('post', '/hosts/alpha/approve', { fingerprint: impostor.fingerprint });
    assert.equal(approved.status, 200, approved.text);
    await delay(50);
    const again = await probe(api, 'alpha');
    assert.match(again.text, /^hyperion_probe_success 1$/m);
    assert.equal(await metric(api.exporter.url, 'hyperion_ssh_host_key_mismatch', { host: 'alpha' }), 0);
  });

  it('changes and removes hosts; a moved host needs its new key approved', async () => {
    const labels = await call('patch', '/hosts/alpha', { labels: { env: 'prod' } });
    assert.equal(labels.status, 200, labels.text);
    assert.deepEqual(labels.body.labels, { env: 'prod' });
    assert.equal(labels.body.approved, true);

    // Another port is another server (B): unusable until its own key is approved.
    const moved = await call('patch', '/hosts/alpha', { port: sshdB.port });
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.body.approved, false);
    assert.equal(moved.body.pendingHostKey?.fingerprint, sshdB.fingerprint);
    assert.equal((await probe(api, 'alpha')).status, 400);

    const removed = await call('delete', '/hosts/alpha');
    assert.equal(removed.status, 200, removed.text);
    assert.equal((await api.viewer.call('get', '/hosts/alpha')).status, 404);
    assert.equal((await api.viewer.call('get', '/hosts/alpha/processes')).status, 404);
    assert.equal((await probe(api, 'alpha')).status, 400);
    assert.equal(
      await metric(api.exporter.url, 'hyperion_ssh_up', { host: 'alpha' }),
      undefined,
      'no stale series',
    );
    const hosts = await api.viewer.call<{ items: { name: string }[] }>('get', '/hosts');
    assert.deepEqual(
      hosts.body.items.map((h) => h.name),
      ['local'],
    );
  });
});
