/**
 * The README's first command, `./scripts/start.sh`, as a user runs it (here without the local
 * stack, HYPERION_STACK=0): it builds, starts the exporter with the V8 flags of its first line,
 * serves /metrics, and stops cleanly on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const storage = mkdtempSync(path.join(os.tmpdir(), 'hyperion-start-'));
after(() => rmSync(storage, { recursive: true, force: true }));

/** Resolves with the port of the exporter's "listening" log line on stderr. */
function listeningPort(child) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no "listening" line within 120 s:\n${seen}`)), 120_000);
    child.stderr.on('data', (chunk) => {
      seen += chunk;
      for (const line of seen.split('\n')) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line);
        if (entry.msg === 'listening') {
          clearTimeout(timer);
          resolve(entry.port);
        }
      }
    });
    child.on('exit', (code) => reject(new Error(`start.sh exited (${code}) before listening:\n${seen}`)));
  });
}

function get(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      })
      .on('error', reject);
  });
}

describe('./scripts/start.sh', () => {
  it(
    'builds, serves /metrics with the exporter’s V8 flags, and stops on SIGTERM',
    { timeout: 180_000 },
    async () => {
      const child = spawn(
        path.join(ROOT, 'scripts/start.sh'),
        ['--web.listen-address=127.0.0.1:0', `--storage.path=${storage}`],
        { cwd: ROOT, env: { ...process.env, HYPERION_STACK: '0' }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      try {
        const port = await listeningPort(child);
        const res = await get(`http://127.0.0.1:${port}/metrics`);
        assert.equal(res.status, 200);
        assert.match(res.body, /^hyperion_load1 /m);
        // start.sh execs the exporter: the same process, now node running dist/main.js.
        const argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
        const firstLine = readFileSync(path.join(ROOT, 'exporter/dist/main.js'), 'utf8').split('\n')[0];
        const flags = firstLine.replace('#!/usr/bin/env -S node', '').trim().split(/\s+/);
        assert.ok(flags.length > 0 && flags.every((f) => f.startsWith('--')), firstLine);
        assert.deepEqual(argv.slice(1, 1 + flags.length), flags, argv.join(' '));
        assert.ok(argv.includes(path.join(ROOT, 'exporter/dist/main.js')), argv.join(' '));
        const exited = new Promise((resolve) =>
          child.on('exit', (code, signal) => resolve({ code, signal })),
        );
        child.kill('SIGTERM');
        assert.deepEqual(await exited, { code: 0, signal: null });
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
  );
});
