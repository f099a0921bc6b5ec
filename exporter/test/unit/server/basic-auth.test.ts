/**
 * The basic-auth verifier on its own: the bounded line of bcrypt runs, the cache and the decoy
 * for unknown users. Counted without a network, so a loaded machine cannot change the outcome
 * (the integration test in web-listeners.test.ts sends the burst over real connections).
 * Hashes come from python3-bcrypt, not from the library the exporter verifies with.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { BasicAuthVerifier, type BasicAuthResult } from '../../../src/server/basic-auth.js';
import { bcryptHash } from '../../support/bcrypt.js';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('BasicAuthVerifier', () => {
  let users: Map<string, string>;
  before(() => {
    users = new Map([['prometheus', bcryptHash('right')]]);
  });

  it('lets 16 guesses wait for bcrypt and answers the rest at once as busy', async () => {
    const verifier = new BasicAuthVerifier(users);
    const answers = Array.from({ length: 40 }, (_, i) => verifier.check(basic('prometheus', `guess-${i}`)));
    const waiting = answers.filter((a) => a instanceof Promise);
    const immediate = answers.filter((a): a is BasicAuthResult => !(a instanceof Promise));
    assert.equal(waiting.length, 16);
    assert.deepEqual(
      new Set(immediate.map((a) => JSON.stringify(a))),
      new Set(['{"ok":false,"reason":"busy"}']),
    );
    for (const a of await Promise.all(waiting)) assert.deepEqual(a, { ok: false, reason: 'wrong' });
    // The line has drained: the right password is checked, not turned away.
    assert.deepEqual(await verifier.check(basic('prometheus', 'right')), { ok: true, user: 'prometheus' });
  });

  it('answers a known outcome from its cache, without waiting in line', async () => {
    const verifier = new BasicAuthVerifier(users);
    assert.deepEqual(await verifier.check(basic('prometheus', 'right')), { ok: true, user: 'prometheus' });
    // The line full of guesses does not keep the scraper whose outcome is known out.
    const guesses = Array.from({ length: 16 }, (_, i) => verifier.check(basic('prometheus', `guess-${i}`)));
    assert.deepEqual(verifier.check(basic('prometheus', 'busy-now')), { ok: false, reason: 'busy' });
    assert.deepEqual(verifier.check(basic('prometheus', 'right')), { ok: true, user: 'prometheus' });
    await Promise.all(guesses);
  });

  it('refuses an unknown user even with a known user’s password, and malformed headers at once', async () => {
    const verifier = new BasicAuthVerifier(users);
    assert.deepEqual(await verifier.check(basic('nobody', 'right')), { ok: false, reason: 'wrong' });
    assert.deepEqual(verifier.check(undefined), { ok: false, reason: 'missing' });
    assert.deepEqual(verifier.check('Basic !!!'), { ok: false, reason: 'malformed' });
    assert.deepEqual(verifier.check(`Basic ${Buffer.from('no-colon').toString('base64')}`), {
      ok: false,
      reason: 'malformed',
    });
  });
});
