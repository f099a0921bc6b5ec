/**
 * Files, tried as an attacker would: a viewer, then an operator, against the real exporter with
 * its embedded default configuration, and with a root of "/" that viewers may read and operators
 * may write — on this machine and on an SSH host (a real sshd serving this same machine). Every
 * attempt on what the exporter keeps secret (its data directory, tokens, TOTP state, the SSH key
 * it logs in to hosts with), on kernel file systems, devices and FIFOs is refused with a clear
 * problem document, by direct path, through a symbolic link and through a hard link placed inside
 * the readable root; nothing leaks, nothing changes, and every read of contents is audited.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  linkSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApi, type ApiFixture } from '../support/api.js';
import { addApprovedHost, generateKey, startSshd, type KeyPair, type RunningSshd } from '../support/sshd.js';

const PROBLEM = 'urn:hyperion:problem:';
type Problem = { type: string; status: number; detail: string };

describe('files with the embedded default configuration', () => {
  let api: ApiFixture;
  before(async () => {
    api = await startApi({ config: 'security:\n  otp: disabled\n' });
  });
  after(async () => {
    await api?.stop();
  });

  it('names no root to viewers or operators, and serves nothing of the host to anyone', async () => {
    for (const client of [api.viewer, api.operator]) {
      const roots = await client.call<{ items: unknown[] }>('get', '/hosts/local/files');
      assert.equal(roots.status, 200);
      assert.deepEqual(roots.body.items, []);
      const data = await client.call<Problem>('get', '/hosts/local/files/data/');
      assert.equal(data.status, 403);
      assert.equal(data.body.type, `${PROBLEM}role`);
    }
    const admin = await api.admin.call<{ items: { name: string; path: string }[] }>(
      'get',
      '/hosts/local/files',
    );
    assert.deepEqual(
      admin.body.items.map((r) => [r.name, r.path]),
      [['data', path.join(api.exporter.storagePath, 'files')]],
    );
    // The whole file system is no root at all, whoever asks.
    for (const client of [api.viewer, api.admin]) {
      const shadow = await client.call<Problem>('get', '/hosts/local/files/root/etc/shadow?text');
      assert.equal(shadow.status, 404);
      assert.doesNotMatch(shadow.text, /root:/);
    }
  });
});

describe('files under a configured root of "/", on this machine and on an SSH host', () => {
  let api: ApiFixture;
  let key: KeyPair;
  let sshd: RunningSshd;
  const planted = mkdtempSync(path.join(os.tmpdir(), 'hyperion-planted-'));
  const fifo = path.join(planted, 'fifo');
  let data: string;
  /** Texts that must never appear in any answer. */
  let forbidden: string[];

  before(async () => {
    key = generateKey();
    sshd = await startSshd({ authorizedKeys: [key.publicKey] });
    api = await startApi({
      config: [
        'security:',
        '  otp: disabled',
        'files:',
        '  roots:',
        '    - name: all',
        '      path: /',
        '      readRole: viewer',
        '      writable: true',
        '      writeRole: operator',
      ].join('\n'),
    });
    data = api.exporter.storagePath;
    await addApprovedHost(api.admin, { name: 'sec-ssh', sshd, keyFile: key.privateKeyFile });
    // An enrolment writes the TOTP secret into otp.json.
    await api.admin.call('post', '/auth/otp/enrol');
    writeFileSync(path.join(data, 'admin-token'), 'hyp_planted_admin_token\n', { mode: 0o600 });
    // What a local user who may write in a readable directory would plant there.
    symlinkSync(path.join(data, 'tokens.json'), path.join(planted, 'tokens-link'));
    symlinkSync(data, path.join(planted, 'data-link'));
    symlinkSync(key.privateKeyFile, path.join(planted, 'key-link'));
    linkSync(path.join(data, 'tokens.json'), path.join(planted, 'tokens-hard'));
    linkSync(key.privateKeyFile, path.join(planted, 'key-hard'));
    spawnSync('mkfifo', [fifo]);
    forbidden = [
      JSON.parse(readFileSync(path.join(data, 'tokens.json'), 'utf8')).tokens[0].hash as string,
      (
        JSON.parse(readFileSync(path.join(data, 'otp.json'), 'utf8')) as {
          actors: Record<string, { secret: string }>;
        }
      ).actors['token:test-admin']!.secret,
      'hyp_planted_admin_token',
      readFileSync(key.privateKeyFile, 'utf8').split('\n')[1]!,
    ];
  });
  after(async () => {
    await api?.stop();
    await sshd?.stop();
    key?.remove();
    rmSync(planted, { recursive: true, force: true });
  });

  const rel = (p: string) => p.slice(1);

  it('refuses every secret, by path, by symbolic link and by hard link, on both hosts, and audits each read', async () => {
    const targets = [
      path.join(data, 'tokens.json'),
      path.join(data, 'otp.json'),
      path.join(data, 'admin-token'),
      path.join(data, 'hosts.json'),
      path.join(data, 'audit.jsonl'),
      key.privateKeyFile,
      path.join(planted, 'tokens-link'),
      path.join(planted, 'data-link', 'tokens.json'),
      path.join(planted, 'key-link'),
      path.join(planted, 'tokens-hard'),
      path.join(planted, 'key-hard'),
    ];
    const before = api.auditLines().length;
    let attempts = 0;
    for (const host of ['local', 'sec-ssh']) {
      for (const target of targets) {
        for (const mode of ['text', 'download']) {
          const res = await api.viewer.call<Problem>(
            'get',
            `/hosts/${host}/files/all/${rel(target)}?${mode}`,
          );
          attempts += 1;
          assert.equal(res.status, 403, `${host} ${target} ${mode}: ${res.text}`);
          assert.equal(res.body.type, `${PROBLEM}forbidden`);
          assert.match(res.headers.get('content-type') ?? '', /problem\+json/);
          for (const secret of forbidden) assert.ok(!res.text.includes(secret), `${target} leaked`);
        }
      }
      // Listing the data directory does not even name its files.
      const listing = await api.viewer.call<Problem>('get', `/hosts/${host}/files/all/${rel(data)}`);
      assert.equal(listing.status, 403, listing.text);
      assert.ok(!listing.text.includes('tokens.json'));
    }
    const refused = api
      .auditLines()
      .slice(before)
      .filter((r) => r.action === 'file.read' || r.action === 'file.download');
    assert.equal(refused.length, attempts, 'each refused read is in the audit log');
    assert.ok(refused.every((r) => r.result === 'refused' && r.actor === 'test-viewer' && r.status === 403));
    assert.equal(
      (refused.find((r) => r.host === 'sec-ssh') as { target?: string } | undefined)?.target?.startsWith(
        'all:/',
      ),
      true,
    );
  });

  it('refuses kernel files, devices and FIFOs without blocking /metrics or other requests', async () => {
    const own = api.exporter.child.pid!;
    const hostile = [
      '/proc/kmsg',
      `/proc/${own}/environ`,
      '/proc/self/mem',
      '/sys/kernel/mm/transparent_hugepage/enabled',
      '/dev/zero',
      '/dev/random',
      fifo,
    ];
    const attempts = ['local', 'sec-ssh'].flatMap((host) =>
      hostile.flatMap((p) =>
        ['text', 'download'].map(async (mode) => {
          const res = await api.viewer.call<Problem>('get', `/hosts/${host}/files/all/${rel(p)}?${mode}`);
          return { p, host, status: res.status, type: res.body.type };
        }),
      ),
    );
    // While the attempts are in flight: a scrape and an ordinary read answer, promptly.
    const started = Date.now();
    const [metrics, ordinary] = await Promise.all([
      fetch(`${api.exporter.url}/metrics`, { signal: AbortSignal.timeout(10_000) }),
      api.viewer.call<{ content: string }>('get', '/hosts/local/files/all/etc/hostname?text'),
    ]);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /hyperion_load1 /);
    assert.equal(ordinary.status, 200, ordinary.text);
    assert.equal(ordinary.body.content, readFileSync('/etc/hostname', 'utf8'));
    assert.ok(Date.now() - started < 10_000);
    for (const a of await Promise.all(attempts)) {
      assert.ok(a.status === 403 || a.status === 400, `${a.host} ${a.p}: ${a.status}`);
      assert.ok(
        [`${PROBLEM}forbidden`, `${PROBLEM}bad-request`].includes(a.type),
        `${a.host} ${a.p}: ${a.type}`,
      );
    }
  });

  it('refuses an operator every change that touches the data directory, and changes nothing', async () => {
    const before = readdirSync(data).sort();
    const tokens = readFileSync(path.join(data, 'tokens.json'), 'utf8');
    const attempts = [
      api.operator.call('put', `/hosts/local/files/all/${rel(data)}/tokens.json?overwrite=true`, {
        rawBody: '{"tokens":[]}',
        headers: { 'content-type': 'application/octet-stream' },
      }),
      api.operator.call('put', `/hosts/local/files/all/${rel(data)}/planted.json`, {
        rawBody: 'x',
        headers: { 'content-type': 'application/octet-stream' },
      }),
      api.operator.call('delete', `/hosts/local/files/all/${rel(data)}/tokens.json`),
      api.operator.call('delete', `/hosts/local/files/all/${rel(data)}?recursive=true`),
      api.operator.call('post', '/hosts/local/file-operations/move', {
        body: {
          items: [
            { from: { root: 'all', path: rel(data) }, to: { root: 'all', path: rel(`${planted}/moved`) } },
          ],
        },
      }),
      api.operator.call('post', '/hosts/local/file-operations/copy', {
        body: {
          items: [
            {
              from: { root: 'all', path: rel(path.join(data, 'otp.json')) },
              to: { root: 'all', path: rel(`${planted}/otp`) },
            },
          ],
        },
      }),
      api.operator.call('post', '/hosts/local/file-operations/copy', {
        body: {
          items: [
            {
              from: { root: 'all', path: rel(`${planted}/tokens-hard`) },
              to: { root: 'all', path: rel(`${planted}/t2`) },
            },
          ],
        },
      }),
    ];
    for (const res of await Promise.all(attempts)) {
      assert.ok([403, 400].includes(res.status), `${res.status} ${res.text}`);
      for (const secret of forbidden) assert.ok(!res.text.includes(secret));
    }
    assert.deepEqual(readdirSync(data).sort(), before);
    assert.equal(readFileSync(path.join(data, 'tokens.json'), 'utf8'), tokens);
    assert.deepEqual(readdirSync(planted).sort(), [
      'data-link',
      'fifo',
      'key-hard',
      'key-link',
      'tokens-hard',
      'tokens-link',
    ]);
  });

  it('still serves an ordinary file, and its read is audited with who read what', async () => {
    const before = api.auditLines().length;
    const res = await api.viewer.call<{ content: string }>(
      'get',
      '/hosts/sec-ssh/files/all/etc/hostname?text',
    );
    assert.equal(res.status, 200, res.text);
    const records = api.auditLines().slice(before);
    assert.equal(records.length, 1);
    assert.equal(records[0]!.action, 'file.read');
    assert.equal(records[0]!.result, 'ok');
    assert.equal(records[0]!.target, 'all:/etc/hostname');
    assert.equal(records[0]!.host, 'sec-ssh');
    // Listings are not contents: not audited.
    await api.viewer.call('get', '/hosts/local/files/all/etc/');
    assert.equal(api.auditLines().length, before + 1);
  });
});
