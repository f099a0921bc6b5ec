/** Who an actor is: keyed on Grafana's user id and org, named by its login as Grafana wrote it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveActor } from '../../../src/security/actor.js';
import type { TokenRecord } from '../../../src/security/tokens.js';
import { HyperionError } from '../../../src/util/errors.js';

const grafanaToken: TokenRecord = {
  id: 't1',
  name: 'grafana-operator',
  role: 'operator',
  grafana: true,
  hash: 'x',
  createdAt: '2026-01-01T00:00:00.000Z',
} as TokenRecord;

/** The header as Node's HTTP parser hands it over: each byte of Grafana's UTF-8 one character. */
function asReceived(context: object): string {
  return Buffer.from(JSON.stringify(context), 'utf8').toString('latin1');
}

describe('resolveActor', () => {
  it('reads a UTF-8 login as Grafana sends it, keyed on org and user id', () => {
    const actor = resolveActor(grafanaToken, {
      'x-grafana-context': asReceived({ UserID: 42, OrgID: 3, Login: 'zoë.ünï', OrgRole: 'Editor' }),
    });
    assert.equal(actor.name, 'zoë.ünï');
    assert.equal(actor.key, 'grafana:3:42');
  });

  it('keeps the key when the login changes: the id is the identity', () => {
    const before = resolveActor(grafanaToken, {
      'x-grafana-context': asReceived({ UserID: 42, OrgID: 3, Login: 'ann' }),
    });
    const after = resolveActor(grafanaToken, {
      'x-grafana-context': asReceived({ UserID: 42, OrgID: 3, Login: 'anna' }),
    });
    assert.equal(before.key, after.key);
    assert.notEqual(before.name, after.name);
  });

  it('refuses a Grafana token without a user id (403 identity)', () => {
    assert.throws(
      () => resolveActor(grafanaToken, { 'x-grafana-context': asReceived({ OrgID: 1, Login: 'mallory' }) }),
      (e: unknown) => e instanceof HyperionError && e.type === 'identity',
    );
  });
});
