/**
 * The token CLI works on the data directory it is given, and a running exporter picks up its
 * changes without a restart: a created token works at once, a revoked one stops at once.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { EXPORTER_DIR, startExporter } from '../support/exporter.js';

const run = promisify(execFile);
const cli = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', path.join(EXPORTER_DIR, 'src/main.ts'), 'token', ...args], {
    cwd: EXPORTER_DIR,
  });

describe('hyperion-exporter token', () => {
  it('creates, lists and revokes tokens that a running exporter honours at once', async () => {
    const exporter = await startExporter();
    try {
      const storage = `--storage.path=${exporter.storagePath}`;
      const created = await cli('create', '--name', 'cli-viewer', '--role', 'viewer', storage);
      const secret = created.stdout.trim();
      assert.match(secret, /^hyp_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
      assert.match(created.stderr, /only time it is shown/);

      const whoami = () =>
        fetch(`${exporter.url}/api/v1/auth/whoami`, { headers: { authorization: `Bearer ${secret}` } });
      const res = await whoami();
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { actor: string }).actor, 'cli-viewer');

      const listed = await cli('list', storage);
      assert.match(listed.stdout, /^cli-viewer\tviewer\t-\t/m);
      assert.ok(!listed.stdout.includes(secret), 'list never shows secrets');

      await assert.rejects(
        cli('create', '--name', 'cli-viewer', '--role', 'admin', storage),
        /already exists/,
      );
      await assert.rejects(cli('create', '--name', 'x', '--role', 'root', storage), /root/);

      await cli('revoke', 'cli-viewer', storage);
      assert.equal((await whoami()).status, 401);
    } finally {
      await exporter.stop();
    }
  });
});
