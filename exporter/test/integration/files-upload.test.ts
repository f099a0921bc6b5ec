/**
 * Uploads are streamed into a temporary file and renamed into place only when complete: a
 * 100 MB upload cut off half-way, one declared too large and one that grows past the limit all
 * leave the directory exactly as it was — no temporary file, no partial target.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startApi, type ApiFixture } from '../support/api.js';
import { filesConfig, leftovers, sha256, snapshot, tempTree } from './files-fixture.js';

const MB = 1024 * 1024;
const LIMIT = 120 * MB;

interface Outcome {
  status: number | undefined;
  text: string;
  error: Error | undefined;
}

/**
 * Streams `total` bytes (1 MB chunks, honouring back-pressure) to a PUT. `cutAfter` destroys the
 * connection after that many bytes; `onChunk` runs after each chunk. Ends at the answer, the
 * error or the cut, whichever comes first.
 */
function streamUpload(
  port: number,
  token: string,
  apiPath: string,
  options: { total: number; declared?: number; cutAfter?: number; onChunk?: (sent: number) => void },
): Promise<Outcome> {
  const chunk = randomBytes(MB);
  return new Promise((resolve) => {
    let settled = false;
    const done = (o: Outcome) => {
      if (!settled) {
        settled = true;
        resolve(o);
      }
    };
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'PUT',
      path: `/api/v1${apiPath}`,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/octet-stream',
        ...(options.declared === undefined ? {} : { 'content-length': String(options.declared) }),
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => done({ status: res.statusCode, text, error: undefined }));
      res.on('error', (error) => done({ status: res.statusCode, text, error }));
    });
    req.on('error', (error) => done({ status: undefined, text: '', error }));
    let sent = 0;
    const pump = () => {
      while (!settled && sent < options.total) {
        if (options.cutAfter !== undefined && sent >= options.cutAfter) {
          req.destroy();
          done({ status: undefined, text: '', error: new Error('cut by the test') });
          return;
        }
        const n = Math.min(MB, options.total - sent);
        sent += n;
        const ok = req.write(n === MB ? chunk : chunk.subarray(0, n));
        options.onChunk?.(sent);
        if (!ok) {
          req.once('drain', pump);
          return;
        }
      }
      if (!settled && sent >= options.total) req.end();
    };
    pump();
  });
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(50);
  }
}

describe('uploads are streamed and never left half-written', () => {
  const tree = tempTree('hyperion-files-upload-');
  const data = path.join(tree.dir, 'data');
  let api: ApiFixture;

  before(async () => {
    mkdirSync(data);
    api = await startApi({
      config: filesConfig([{ name: 'data', path: data, writable: true }], { uploadLimitBytes: LIMIT }),
    });
  });
  after(async () => {
    await api?.stop();
    tree.remove();
  });

  it('stores a 20 MB upload byte for byte', async () => {
    const body = randomBytes(20 * MB);
    const res = await fetch(`${api.exporter.url}/api/v1/hosts/local/files/data/whole.bin`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${api.admin.token}` },
      body,
    });
    assert.equal(res.status, 201, await res.clone().text());
    const answer = (await res.json()) as { entry: { size: number }; etag: string };
    assert.equal(answer.entry.size, 20 * MB);
    assert.equal(sha256(readFileSync(path.join(data, 'whole.bin'))), sha256(body));
    // The tag is the content's: reading the file for the editor-size check gives the same one.
    assert.equal(res.headers.get('etag'), answer.etag);
    assert.deepEqual(leftovers(data), []);
  });

  it('leaves nothing behind when a 100 MB upload is cut off half-way', async () => {
    const before = snapshot(data);
    let sawTemp = false;
    const outcome = await streamUpload(
      api.exporter.port,
      api.admin.token!,
      '/hosts/local/files/data/cut.bin',
      {
        total: 100 * MB,
        declared: 100 * MB,
        cutAfter: 50 * MB,
        onChunk: (sent) => {
          // Proof that the body really was being written to disk when the cut came.
          if (sent % (8 * MB) === 0 && leftovers(data).length > 0) sawTemp = true;
        },
      },
    );
    assert.equal(outcome.status, undefined, 'the test cut the connection before any answer');
    await until('the temporary file to go', () => leftovers(data).length === 0);
    assert.ok(sawTemp, 'a temporary file existed while the body streamed');
    assert.equal(existsSync(path.join(data, 'cut.bin')), false, 'no partial target');
    assert.deepEqual(snapshot(data), before);
    await until('the audit record', () =>
      api.auditLines().some((l) => l.action === 'file.upload' && l.target === 'data:/cut.bin'),
    );
    const line = api.auditLines().find((l) => l.action === 'file.upload' && l.target === 'data:/cut.bin')!;
    assert.equal(line.result, 'refused');
    assert.match(String(line.error), /cut off after \d+ bytes; nothing was kept/);
    const alive = await api.viewer.call('get', '/hosts/local/files/data');
    assert.equal(alive.status, 200, 'the exporter carries on');
  });

  it('refuses an upload declared larger than the limit at once (413), without reading it', async () => {
    const before = snapshot(data);
    const started = Date.now();
    const outcome = await streamUpload(
      api.exporter.port,
      api.admin.token!,
      '/hosts/local/files/data/huge.bin',
      {
        total: 4 * MB,
        declared: 200 * MB,
      },
    );
    assert.equal(outcome.status, 413, outcome.text || String(outcome.error));
    assert.match(JSON.parse(outcome.text).detail, /larger than the limit/);
    assert.ok(Date.now() - started < 10_000);
    assert.deepEqual(snapshot(data), before);
  });

  it('stops an undeclared (chunked) upload at the limit (413) and keeps nothing', async () => {
    const before = snapshot(data);
    const outcome = await streamUpload(
      api.exporter.port,
      api.admin.token!,
      '/hosts/local/files/data/grows.bin',
      {
        total: LIMIT + 10 * MB,
      },
    );
    // The answer may race the client's last writes; either way the server said 413 or hung up.
    if (outcome.status !== undefined) assert.equal(outcome.status, 413, outcome.text);
    await until('the temporary file to go', () => leftovers(data).length === 0);
    assert.equal(existsSync(path.join(data, 'grows.bin')), false);
    assert.deepEqual(snapshot(data), before);
    await until('the audit record', () =>
      api.auditLines().some((l) => l.action === 'file.upload' && l.target === 'data:/grows.bin'),
    );
    const line = api.auditLines().find((l) => l.target === 'data:/grows.bin')!;
    assert.equal(line.status, 413);
    assert.deepEqual(readdirSync(data).sort(), ['whole.bin']);
  });
});
