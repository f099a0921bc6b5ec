/**
 * Walks every operation of the published OpenAPI document and proves the protection each
 * mutating one must have: no token is refused (and never audited), a viewer is refused for its
 * role, and a caller with the right role but no one-time code never gets an action through —
 * it is refused for the code, or earlier, for what is wrong with the request. A route added
 * without protection fails here, whoever adds it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApi, type ApiFixture } from '../support/api.js';

const PROBLEM = 'urn:hyperion:problem:';
/**
 * The only mutating routes exempt from the code: the ones that set the code up, or drop it, and
 * the configuration reload (it applies the host's own file, as SIGHUP does; docs/security.md).
 */
const OTP_EXEMPT = new Set([
  'post /auth/otp/enrol',
  'post /auth/otp/confirm',
  'post /auth/elevation/drop',
  'post /config/reload',
]);
/** What a refusal before the code may be about: the request itself, or its target. */
const BEFORE_THE_CODE = ['validation', 'bad-request', 'not-found', 'conflict', 'unsupported-media-type'];

interface Operation {
  method: string;
  path: string;
  role: string;
  mutating: boolean;
  otp: boolean;
}

function operations(doc: { paths: Record<string, Record<string, Record<string, unknown>>> }): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method,
      path,
      role: String(op['x-hyperion-role']),
      mutating: op['x-hyperion-mutating'] === true,
      otp: op['x-hyperion-otp'] === true,
    })),
  );
}

/** Any well-formed value will do: refusals must come before the parameters matter. */
function concrete(path: string): string {
  return path.replace(/\{host\}/g, 'local').replace(/\{[^}]+\}/g, '1');
}

describe('every route in the OpenAPI document', () => {
  let api: ApiFixture;
  let ops: Operation[];

  before(async () => {
    api = await startApi({ config: 'security:\n  otpElevationSeconds: 0\n' });
    const res = await fetch(`${api.exporter.url}/api/v1/openapi.json`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    assert.equal(doc.openapi, '3.1.0');
    ops = operations(doc);
    // Enrolled, so that a refusal below is about the missing code, not a missing enrolment.
    await api.enrol(api.admin);
  });
  after(async () => {
    await api?.stop();
  });

  it('documents the mutating routes as such (anything but GET mutates)', () => {
    assert.ok(ops.length >= 8, `only ${ops.length} operations documented`);
    for (const op of ops) assert.equal(op.mutating, op.method !== 'get', `${op.method} ${op.path}`);
    const exempt = ops.filter((op) => op.mutating && !op.otp).map((op) => `${op.method} ${op.path}`);
    assert.deepEqual(new Set(exempt), OTP_EXEMPT);
  });

  it('refuses every operation without a token (401)', async () => {
    for (const op of ops) {
      const res = await api.anonymous.call(op.method, concrete(op.path));
      assert.equal(res.status, 401, `${op.method} ${op.path}`);
    }
  });

  it('refuses every mutating operation to a viewer (403 role)', async () => {
    const mutating = ops.filter((op) => op.mutating && op.role !== 'viewer');
    assert.deepEqual(
      ops.filter((op) => op.mutating && op.role === 'viewer').map((op) => op.path),
      ['/auth/elevation/drop'],
      'a viewer may only drop its own elevation',
    );
    for (const op of mutating) {
      const res = await api.viewer.call(op.method, concrete(op.path), { body: {} });
      assert.equal(res.status, 403, `${op.method} ${op.path}: ${res.text}`);
      assert.equal((res.body as { type: string }).type, `${PROBLEM}role`, `${op.method} ${op.path}`);
    }
  });

  it('lets no mutating operation through without a one-time code', async () => {
    const protectedOps = ops.filter((o) => o.mutating && !OTP_EXEMPT.has(`${o.method} ${o.path}`));
    for (const op of protectedOps) {
      assert.equal(op.otp, true, `${op.method} ${op.path} is documented as needing the code`);
      const res = await api.admin.call(op.method, concrete(op.path), { body: {} });
      const type = (res.body as { type: string }).type?.replace(PROBLEM, '');
      assert.ok(res.status >= 400 && res.status < 500, `${op.method} ${op.path}: ${res.status} ${res.text}`);
      assert.ok(
        type === 'otp-required' || BEFORE_THE_CODE.includes(type),
        `${op.method} ${op.path}: refused for ${type}`,
      );
    }
    // A request that is otherwise right meets the code: a token that does not exist yet.
    const valid = await api.admin.call<{ type: string }>('post', '/tokens', {
      body: { name: 'no-code', role: 'viewer' },
    });
    assert.equal(valid.status, 403);
    assert.equal(valid.body.type, `${PROBLEM}otp-required`);
  });

  it('audited every refused mutating attempt by a token holder, and none without a token', () => {
    const mutating = ops.filter((o) => o.mutating && o.role !== 'viewer').length;
    const refused = api.auditLines().filter((l) => l.result === 'refused');
    // viewer for each mutating route, + admin without a code for the protected ones
    assert.ok(
      refused.length >= mutating + (mutating - OTP_EXEMPT.size + 1),
      `${refused.length} refusals audited`,
    );
    assert.ok(
      refused.every((l) => typeof l.actor === 'string' && typeof l.tokenName === 'string'),
      'no anonymous request reached the audit log',
    );
  });
});
