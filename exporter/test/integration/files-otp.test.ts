/**
 * File writes under the default security policy: the second factor is required, a refused
 * upload is neither read nor stored, an accepted one is audited with the code used; and the
 * OpenAPI document shows the wildcard path and the streamed body as they are.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApi, type ApiFixture, type Authenticator } from '../support/api.js';
import { filesConfig, rawRequest, tempTree } from './files-fixture.js';

describe('file writes need the second factor', () => {
  const tree = tempTree('hyperion-files-otp-');
  const data = path.join(tree.dir, 'data');
  let api: ApiFixture;
  let auth: Authenticator;

  before(async () => {
    mkdirSync(data);
    api = await startApi({
      config: filesConfig([{ name: 'data', path: data, writable: true }], { otp: true }),
    });
    auth = await api.enrol(api.admin);
  });
  after(async () => {
    await api?.stop();
    tree.remove();
  });

  const put = (name: string, body: string, otp?: string) =>
    rawRequest(api.exporter.port, {
      method: 'PUT',
      path: `/api/v1/hosts/local/files/data/${name}`,
      headers: {
        authorization: `Bearer ${api.admin.token}`,
        ...(otp === undefined ? {} : { 'x-hyperion-otp': otp }),
      },
      body,
    });

  it('refuses an upload without a code, closing the connection instead of reading the body', async () => {
    const res = await put('nocode.txt', 'x'.repeat(100_000));
    assert.equal(res.status, 403);
    assert.equal(JSON.parse(res.text).type, 'urn:hyperion:problem:otp-required');
    assert.equal(res.headers.connection, 'close');
    assert.equal(existsSync(path.join(data, 'nocode.txt')), false);
    const wrong = await put('wrong.txt', 'x', await auth.wrong());
    assert.equal(wrong.status, 403);
    assert.equal(existsSync(path.join(data, 'wrong.txt')), false);
  });

  it('stores an upload with a valid code and audits it with the code used', async () => {
    const res = await put('signed.txt', 'signed', await auth.next());
    assert.equal(res.status, 201, res.text);
    assert.equal(readFileSync(path.join(data, 'signed.txt'), 'utf8'), 'signed');
    const line = api.auditLines().find((l) => l.action === 'file.upload' && l.result === 'ok');
    assert.ok(line);
    assert.equal(line.otpUsed, true);
    assert.equal(line.target, 'data:/signed.txt');
    assert.deepEqual(line.args, {
      host: 'local',
      root: 'data',
      path: 'signed.txt',
      overwrite: false,
      parents: false,
    });
  });

  it('documents the wildcard path and the streamed body in OpenAPI', async () => {
    const doc = (await (await fetch(`${api.exporter.url}/api/v1/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<
          string,
          {
            parameters: { name: string; schema: { pattern?: string } }[];
            requestBody?: { content: Record<string, unknown> };
            'x-hyperion-otp': boolean;
          }
        >
      >;
    };
    const op = doc.paths['/hosts/{host}/files/{root}/{path}'];
    assert.ok(op, Object.keys(doc.paths).join(', '));
    assert.deepEqual(Object.keys(op).sort(), ['delete', 'get', 'put']);
    assert.deepEqual(Object.keys(op.put!.requestBody!.content), ['application/octet-stream']);
    assert.equal(op.put!['x-hyperion-otp'], true);
    const pattern = op.get!.parameters.find((p) => p.name === 'path')!.schema.pattern!;
    assert.ok(new RegExp(pattern, 'u').test('a/b/c.txt'));
    assert.ok(!new RegExp(pattern, 'u').test('a/../b'));
    for (const p of [
      '/hosts/{host}/files',
      '/hosts/{host}/file-operations/mkdir',
      '/hosts/{host}/file-operations/move',
      '/hosts/{host}/file-operations/copy',
    ]) {
      assert.ok(doc.paths[p], p);
    }
  });
});
