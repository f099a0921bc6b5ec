/**
 * The host registry's lifecycle: what is attached to a host is made once, ended with the host
 * when it is changed or removed, and never handed out for a host the registry no longer holds;
 * a pending host is a 409 with its reason, an unknown one a 404.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Host } from '../../../src/hosts/host.js';
import { HostRegistry, LOCAL_HOST } from '../../../src/hosts/host-registry.js';
import { isHyperionError } from '../../../src/util/errors.js';

/** A host for bookkeeping only: the registry never calls into it but to close it. */
function host(name: string): Host & { closed: number } {
  const h = { name, closed: 0, close: () => (h.closed += 1) };
  return h as unknown as Host & { closed: number };
}

const status = (fn: () => unknown): number | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return isHyperionError(error) ? error.status : -1;
  }
};

describe('HostRegistry', () => {
  it('disposes of a host and what is attached to it together, when changed and when removed', () => {
    const registry = new HostRegistry(host(LOCAL_HOST));
    const removed: string[] = [];
    registry.onRemoved((name) => removed.push(name));
    const first = host('web-1');
    registry.setReady(first);
    const disposed: string[] = [];
    const make = (h: Host) => ({ of: h, dispose: () => disposed.push(`manager of ${h.name}`) });
    const manager = registry.attached(first, 'firewall', make);
    assert.equal(registry.attached(first, 'firewall', make), manager, 'made once, kept');
    assert.deepEqual(registry.allAttached('firewall'), [['web-1', manager]]);

    // Changed: a new connection under the same name; the old one and its manager end.
    const second = host('web-1');
    registry.setReady(second);
    assert.equal(first.closed, 1);
    assert.deepEqual(disposed, ['manager of web-1']);
    assert.deepEqual(registry.allAttached('firewall'), [], 'nothing attached to the new one yet');
    // A request holding the old host gets no manager built on it.
    assert.equal(
      status(() => registry.attached(first, 'firewall', make)),
      503,
    );
    assert.equal(registry.attached(second, 'firewall', make).of, second);
    assert.deepEqual(removed, [], 'a change is no removal');

    registry.remove('web-1');
    assert.equal(second.closed, 1);
    assert.deepEqual(disposed, ['manager of web-1', 'manager of web-1']);
    assert.deepEqual(removed, ['web-1']);
    assert.equal(
      status(() => registry.get('web-1')),
      404,
    );
    assert.deepEqual(
      registry.list().map((h) => h.name),
      [LOCAL_HOST],
    );
  });

  it('holds a host awaiting approval as a state with its reason, not as a host', () => {
    const registry = new HostRegistry(host(LOCAL_HOST));
    registry.setPending('db-1', 'host db-1 cannot be used until an admin approves its host key');
    assert.equal(
      status(() => registry.get('db-1')),
      409,
    );
    assert.throws(() => registry.get('db-1'), /approves its host key/);
    assert.equal(registry.find('db-1'), undefined);
    assert.deepEqual(
      registry.hosts().map((h) => h.name),
      [LOCAL_HOST],
    );
    const approved = host('db-1');
    registry.setReady(approved);
    assert.equal(registry.get('db-1'), approved);
    // The local host is never removed nor closed.
    registry.remove(LOCAL_HOST);
    registry.close();
    assert.equal((registry.local() as unknown as { closed: number }).closed, 0);
    assert.equal(approved.closed, 1);
  });
});
