/**
 * The second factor's rules on a clock the test moves: lockouts lengthen with repetition and end
 * on time, survive a new instance on the same data directory (a restart), and enrolment codes
 * are single-use, bound to one actor and short-lived.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { generate } from 'otplib';
import { Registry } from 'prom-client';
import type { Actor } from '../../../src/security/actor.js';
import { SecondFactor, type SecondFactorSettings } from '../../../src/security/second-factor.js';
import { DataDir } from '../../../src/storage/data-dir.js';
import { HyperionError } from '../../../src/util/errors.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function fresh(): DataDir {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hyperion-2fa-'));
  dirs.push(dir);
  return new DataDir(dir);
}

const settings: SecondFactorSettings = {
  policy: 'required',
  issuer: 'Hyperion',
  elevationSeconds: 0,
  enrolmentCodeTtlSeconds: 600,
};

const actor = (name: string, role: Actor['role'] = 'operator'): Actor => ({
  name,
  key: `token:${name}`,
  role,
  tokenName: name,
  tokenId: `id-${name}`,
  viaGrafana: false,
});

async function refusal(promise: Promise<unknown>): Promise<HyperionError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HyperionError) return error;
    throw error;
  }
  assert.fail('expected a refusal');
}

/** A clock the test sets. */
function clock(start = Date.UTC(2026, 11, 7, 12, 0, 0)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

async function enrolled(dir: DataDir, who: Actor, time: ReturnType<typeof clock>) {
  const factor = new SecondFactor(dir, settings, new Registry(), time.now);
  const admin = actor('first-admin', 'admin');
  const first = await factor.enrol(admin, undefined);
  await factor.confirm(admin, await generate({ secret: first.secret, epoch: Math.floor(time.now() / 1000) }));
  const code = factor.issueEnrolmentCode(who.key, who.name, 'first-admin').code;
  const { secret } = await factor.enrol(who, code);
  time.advance(30_000);
  await factor.confirm(who, await generate({ secret, epoch: Math.floor(time.now() / 1000) }));
  return { factor, secret };
}

describe('lockouts', () => {
  it('lock for 5 minutes after five wrong codes, then 10, then 20, and persist across instances', async () => {
    const dir = fresh();
    const time = clock();
    const op = actor('op');
    const { factor } = await enrolled(dir, op, time);
    const lockFor = async (f: SecondFactor): Promise<number> => {
      for (let i = 0; i < 4; i += 1) {
        const e = await refusal(f.verify(op, '000000'));
        assert.equal(e.type, 'otp-invalid');
      }
      // The fifth wrong code is answered with the lockout it starts.
      const locked = await refusal(f.verify(op, '000000'));
      assert.equal(locked.type, 'rate-limited');
      assert.equal((await refusal(f.verify(op, '000000'))).type, 'rate-limited');
      return locked.extra?.retryAfterSeconds as number;
    };
    assert.equal(await lockFor(factor), 300);
    time.advance(299_000);
    assert.equal((await refusal(factor.verify(op, '000000'))).type, 'rate-limited', 'still locked');
    time.advance(2000);
    // A new instance on the same directory: what a restart sees.
    const restarted = new SecondFactor(dir, settings, new Registry(), time.now);
    assert.equal(await lockFor(restarted), 600, 'the second lockout in a day is twice as long');
    time.advance(601_000);
    assert.equal(await lockFor(restarted), 1200);
    // A day without lockouts starts over.
    time.advance(25 * 3600_000);
    assert.equal(await lockFor(restarted), 300);
  });

  it('counts failures and lockouts in metrics', async () => {
    const dir = fresh();
    const time = clock();
    const registry = new Registry();
    const op = actor('counted');
    const { factor: _first } = await enrolled(dir, op, time);
    const factor = new SecondFactor(dir, settings, registry, time.now);
    for (let i = 0; i < 6; i += 1) await refusal(factor.verify(op, '111111'));
    const text = await registry.metrics();
    assert.match(text, /^hyperion_otp_failures_total\{reason="wrong"\} 5$/m);
    assert.match(text, /^hyperion_otp_failures_total\{reason="locked"\} 1$/m);
    assert.match(text, /^hyperion_otp_lockouts_total 1$/m);
    assert.match(text, /^hyperion_otp_locked_actors 1$/m);
  });
});

describe('enrolment codes', () => {
  it('are needed by everyone but a new installation’s first admin, bound to one actor, single-use and short-lived', async () => {
    const dir = fresh();
    const time = clock();
    const factor = new SecondFactor(dir, settings, new Registry(), time.now);
    const op = actor('op');
    assert.equal(factor.enrolmentCodeRequired(op), true, 'an operator always needs one');
    const admin = actor('root', 'admin');
    assert.equal(factor.enrolmentCodeRequired(admin), false, 'the first admin does not');
    const first = await factor.enrol(admin, undefined);
    await factor.confirm(
      admin,
      await generate({ secret: first.secret, epoch: Math.floor(time.now() / 1000) }),
    );
    assert.equal(factor.enrolmentCodeRequired(actor('second-admin', 'admin')), true, 'the second admin does');

    const code = factor.issueEnrolmentCode(op.key, 'op', 'root').code;
    assert.equal((await refusal(factor.enrol(actor('mallory'), code))).type, 'otp-invalid', 'bound to op');
    time.advance(601_000);
    assert.equal((await refusal(factor.enrol(op, code))).type, 'otp-invalid', 'expired');
    const fresh2 = factor.issueEnrolmentCode(op.key, 'op', 'root').code;
    const { secret } = await factor.enrol(op, fresh2);
    time.advance(30_000);
    const { recoveryCodes } = await factor.confirm(
      op,
      await generate({ secret, epoch: Math.floor(time.now() / 1000) }),
    );
    assert.equal(recoveryCodes.length, 10);
    assert.equal(new Set(recoveryCodes).size, 10);
    factor.reset(op.key);
    assert.equal((await refusal(factor.enrol(op, fresh2))).type, 'otp-invalid', 'spent on confirmation');
    // Stored hashed: neither the recovery codes nor the enrolment code are in the file.
    const stored = (await import('node:fs')).readFileSync(dir.path('otp.json'), 'utf8');
    for (const c of [...recoveryCodes, fresh2]) assert.ok(!stored.includes(c));
  });
});
