/**
 * The audit log survives a crash: the exporter is killed with SIGKILL while actions are in
 * flight, and afterwards every line of its audit log is valid JSON and every action whose
 * answer reached the client has its record.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { startApi } from '../support/api.js';

describe('audit log under SIGKILL', () => {
  const sleepers: ChildProcess[] = [];
  after(() => {
    for (const s of sleepers) s.kill('SIGKILL');
  });

  it('keeps every acknowledged action and only whole lines', async () => {
    // The second factor is not the subject here; with it disabled the actions run back to back.
    const api = await startApi({ config: 'security:\n  otp: disabled\n' });
    for (let i = 0; i < 30; i += 1) sleepers.push(spawn('sleep', ['300'], { stdio: 'ignore' }));
    const acknowledged: { pid: number; nice: number; status: number }[] = [];
    let killed = false;
    const worker = async (w: number) => {
      for (let round = 0; round < 200 && !killed; round += 1) {
        const pid = sleepers[(w * 7 + round) % sleepers.length]!.pid!;
        const nice = 1 + ((w + round) % 19);
        try {
          const res = await api.operator.call('post', `/hosts/local/processes/${pid}/renice`, {
            body: { nice },
          });
          if (!killed) acknowledged.push({ pid, nice, status: res.status });
        } catch {
          return; // the connection died with the exporter
        }
      }
    };
    const workers = Array.from({ length: 6 }, (_, w) => worker(w));
    // Kill in the middle of the stream of actions, not after it.
    for (let i = 0; i < 500 && acknowledged.length < 40; i += 1) await new Promise((r) => setTimeout(r, 10));
    api.exporter.child.kill('SIGKILL');
    killed = true;
    await Promise.all(workers);
    const child = api.exporter.child;
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));

    assert.ok(acknowledged.length >= 40, `only ${acknowledged.length} actions were answered before the kill`);
    const text = readFileSync(`${api.exporter.storagePath}/audit.jsonl`, 'utf8');
    assert.ok(text.endsWith('\n'), 'the log ends with a whole line');
    const records = text
      .split('\n')
      .filter((l) => l !== '')
      .map((line, i) => {
        try {
          return JSON.parse(line) as { target: string; args: { body: { nice: number } }; status: number };
        } catch {
          assert.fail(`line ${i + 1} is not valid JSON: ${line.slice(0, 120)}`);
        }
      });
    for (const ack of acknowledged) {
      const found = records.some(
        (r) => r.target === String(ack.pid) && r.args?.body?.nice === ack.nice && r.status === ack.status,
      );
      assert.ok(
        found,
        `acknowledged renice of ${ack.pid} to ${ack.nice} (${ack.status}) is missing from the audit log`,
      );
    }
    assert.ok(records.length >= acknowledged.length);
    await api.stop();
  });
});
