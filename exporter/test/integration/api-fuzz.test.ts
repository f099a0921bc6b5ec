/**
 * Hundreds of generated bad requests across every route of the OpenAPI document: wrong types,
 * huge and broken bodies, unicode, extreme numbers, path tricks. None may produce a 5xx, the
 * exporter must stay up, and nothing may change: no audit record says "ok", the target
 * process lives on with its nice value, the token list is the same.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parsePidStat } from '../../src/parsers/pid-stat.js';
import { startApi, type ApiFixture, type Authenticator } from '../support/api.js';

type Schema = {
  type?: string;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, Schema>;
  required?: string[];
};
type Operation = {
  parameters?: { name: string; in: string; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
};

/** A valid body per route: each variant below breaks exactly one thing of it. */
const VALID_BODIES: Record<string, Record<string, unknown>> = {
  'post /auth/otp/enrol': { enrolmentCode: 'ABCD-EFGH-IJKL-MNOP' },
  'post /auth/otp/confirm': { code: '123456' },
  'post /auth/otp/reset': { actor: 'token:nobody-at-all' },
  'post /auth/enrolment-codes': { actor: 'token:nobody-at-all', name: 'nobody' },
  'post /tokens': { name: 'fuzz-token', role: 'viewer', grafana: false },
  'post /hosts/{host}/processes/{pid}/signal': { signal: 'CONT' },
  'post /hosts/{host}/processes/{pid}/renice': { nice: 5 },
  // Every single-field mutation of it is invalid (duration is an anyOf: all wrong values are sent).
  'post /hosts/{host}/firewall/blocks': { address: '192.0.2.1', duration: 60, reason: 'fuzz' },
  'post /hosts/{host}/file-operations/mkdir': { root: 'fuzz', path: 'fuzz-dir', parents: false },
  'post /hosts/{host}/file-operations/move': {
    items: [{ from: { root: 'fuzz', path: 'a' }, to: { root: 'fuzz', path: 'b' } }],
    overwrite: false,
  },
  'post /hosts/{host}/file-operations/copy': {
    items: [{ from: { root: 'fuzz', path: 'a' }, to: { root: 'fuzz', path: 'b' } }],
    overwrite: false,
  },
  // command is an object, so every wrong value is sent for it: none is an argv-or-shell object.
  'post /jobs': {
    name: 'fuzz-job',
    schedule: '0 0 0 1 1 *',
    host: 'local',
    command: { argv: ['/bin/true'] },
    timeoutSeconds: 60,
    overlap: 'skip',
    enabled: false,
  },
  'put /jobs/{name}': {
    schedule: '0 0 0 1 1 *',
    host: 'local',
    command: { argv: ['/bin/true'] },
    timeoutSeconds: 60,
    overlap: 'skip',
    enabled: false,
  },
  // "local" is no inventory name, so no mutation of the rest makes it valid (labels {} would be):
  // nothing is added and no host key is ever fetched. {host} below is filled with "local" too.
  'post /hosts': {
    name: 'local',
    address: '127.0.0.1',
    port: 22,
    user: 'root',
    auth: { type: 'key', privateKeyFile: '/nonexistent/id_ed25519' },
    privilege: 'root',
    labels: { env: 'fuzz' },
  },
  'post /hosts/{host}/approve': { fingerprint: `SHA256:${'A'.repeat(43)}` },
  'patch /hosts/{host}': { labels: { env: 'fuzz' } },
};

const PATH_TRICKS = [
  '..',
  '%2e%2e',
  '%252e%252e',
  '..%2f..%2fetc%2fpasswd',
  '%00',
  'a%00b',
  'x'.repeat(3000),
  '-1',
  '0',
  '1.5',
  '1e3',
  '0x10',
  '%2012',
  '99999999999999999999',
  '%F0%9F%92%A5',
  '%24(id)',
  '%3Bls',
  '-rf',
  '%C0%AE%C0%AE',
  '%E2%80%AE',
];

const WRONG_VALUES: unknown[] = [
  null,
  true,
  [],
  {},
  [1, 2],
  -1,
  1.5,
  -1e308,
  1e308,
  2 ** 53 + 2,
  '',
  ' ',
  'x'.repeat(70_000),
  '\u0000',
  'ТЕРМ',
  '💥',
  '../../etc/passwd',
  '$(reboot)',
  '-9',
  '1e3',
  'NaN',
  '<script>alert(1)</script>',
  { $gt: '' },
  [null],
  'TERM\n',
];

const BROKEN_BODIES = [
  '{',
  '{"a":',
  '[1,2',
  'null',
  '"string"',
  '42',
  '[]',
  '{"__proto__":{"admin":true}}',
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  '\u0000\u0001',
  '{"signal":"TERM"}garbage',
  'x'.repeat(200_000),
];

const QUERY_TRICKS = ['-1', 'abc', '1e99', '%00', 'x'.repeat(5000), '%ZZ', '[]', '{}'];

/**
 * Whether the schema refuses the value. The generator keeps only values that are wrong by the
 * documented schema: a free-text field accepts "💥", and a valid request for something that does
 * not exist would be answered after the code was spent.
 */
function refuses(schema: Schema, value: unknown): boolean {
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') return true;
      if (schema.enum) return !schema.enum.includes(value);
      if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) return true;
      if (schema.minLength !== undefined && value.length < schema.minLength) return true;
      return schema.maxLength !== undefined && value.length > schema.maxLength;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || (schema.type === 'integer' && !Number.isInteger(value))) return true;
      return value < (schema.minimum ?? -Infinity) || value > (schema.maximum ?? Infinity);
    case 'boolean':
      return typeof value !== 'boolean';
    default:
      return schema.enum ? !schema.enum.includes(value) : true;
  }
}

function matches(pattern: string, encoded: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(decodeURIComponent(encoded));
  } catch {
    return false;
  }
}

function niceOf(pid: number): number {
  return parsePidStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).nice;
}

describe('malformed input across every route', () => {
  let api: ApiFixture;
  let auth: Authenticator;
  const target = spawn('sleep', ['600'], { stdio: 'ignore' });

  before(async () => {
    api = await startApi();
    auth = await api.enrol(api.admin);
  });
  after(async () => {
    target.kill('SIGKILL');
    await api?.stop();
  });

  it('answers every bad request with a 4xx problem and changes nothing', async () => {
    const doc = (await (await fetch(`${api.exporter.url}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, Operation>>;
    };
    const pid = target.pid!;
    const fill = (path: string, trick?: { param: string; value: string }) =>
      path.replace(/\{(\w+)\}/g, (_, name: string) =>
        trick?.param === name
          ? trick.value
          : name === 'host'
            ? 'local'
            : name === 'pid'
              ? String(pid)
              : 'fuzz-token',
      );
    const tokensBefore = (await api.admin.call<{ items: unknown[] }>('get', '/tokens')).body.items.length;
    const auditBefore = api.auditLines().length;
    const niceBefore = niceOf(pid);
    // Invalid requests never spend a code, so one serves the whole run.
    const otp = await auth.next();

    const requests: { method: string; path: string; rawBody?: string; headers?: Record<string, string> }[] =
      [];
    for (const [template, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const key = `${method} ${template}`;
        const pathParams = (op.parameters ?? []).filter((p) => p.in === 'path');
        const queryParams = (op.parameters ?? []).filter((p) => p.in === 'query');
        const schema = op.requestBody?.content['application/json']?.schema;
        const valid = VALID_BODIES[key];
        if (schema) assert.ok(valid, `add a valid example body for ${key} to VALID_BODIES`);
        const validText = valid ? JSON.stringify(valid) : undefined;

        for (const param of pathParams) {
          for (const value of PATH_TRICKS) {
            // A trick the parameter's own pattern accepts names something that merely does not
            // exist — a valid request, which would spend the code. Only invalid ones here.
            if (param.schema.pattern && matches(param.schema.pattern, value)) continue;
            // fetch removes dot segments ("..", "%2e%2e") before sending, so such a request
            // names another route, not this parameter; files-traversal.test.ts sends them raw.
            const path = fill(template, { param: param.name, value });
            if (new URL(path, 'http://fuzz').pathname !== path) continue;
            requests.push({ method, path, rawBody: validText });
          }
        }
        for (const q of queryParams) {
          // A free-text filter accepts almost anything: only its length and repetition are wrong.
          const s = q.schema;
          const freeText = s.type === 'string' && !s.enum && !s.pattern && !s.format;
          const repeated = `1&${q.name}=2`;
          const tricks = freeText ? ['x'.repeat(5000), repeated] : [...QUERY_TRICKS, repeated];
          for (const value of tricks) requests.push({ method, path: `${fill(template)}?${q.name}=${value}` });
        }
        if (method === 'get') {
          requests.push({ method, path: `${fill(template)}?unknown=1` });
          continue;
        }
        // A raw (streamed) body is any bytes at all: the query and path tricks above are its fuzz.
        if (op.requestBody && !schema) continue;
        if (!schema || !valid) {
          // A route without a body must refuse one.
          requests.push({ method, path: fill(template), rawBody: '{"unexpected":true}' });
          continue;
        }
        for (const prop of Object.keys(schema.properties ?? {})) {
          for (const wrong of WRONG_VALUES) {
            if (!refuses(schema.properties![prop]!, wrong)) continue;
            const body = { ...valid, [prop]: wrong };
            requests.push({ method, path: fill(template), rawBody: JSON.stringify(body) });
          }
          if ((schema.required ?? []).includes(prop)) {
            const { [prop]: _dropped, ...rest } = valid;
            requests.push({ method, path: fill(template), rawBody: JSON.stringify(rest) });
          }
        }
        requests.push({ method, path: fill(template), rawBody: JSON.stringify({ ...valid, extra: 1 }) });
        for (const broken of BROKEN_BODIES) requests.push({ method, path: fill(template), rawBody: broken });
        requests.push({
          method,
          path: fill(template),
          rawBody: validText,
          headers: { 'content-type': 'text/plain' },
        });
      }
    }
    assert.ok(requests.length >= 500, `only ${requests.length} bad requests generated`);

    const statuses = new Map<number, number>();
    for (const r of requests) {
      const res = await api.admin.call(r.method, r.path, {
        ...(r.rawBody === undefined ? {} : { rawBody: r.rawBody }),
        headers: { ...(r.rawBody === undefined ? {} : { 'content-type': 'application/json' }), ...r.headers },
        otp,
      });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      assert.ok(
        res.status >= 400 && res.status < 500,
        `${r.method} ${r.path.slice(0, 120)} ${String(r.rawBody).slice(0, 80)} → ${res.status} ${res.text.slice(0, 200)}`,
      );
    }
    console.log(`${requests.length} bad requests: ${JSON.stringify(Object.fromEntries(statuses))}`);
    // Every refusal came before the code was checked: none was spent, none counted as wrong.
    assert.equal(statuses.get(403) ?? 0, 0);
    assert.equal(statuses.get(429) ?? 0, 0);

    assert.equal((await fetch(`${api.exporter.url}/metrics`)).status, 200, 'the exporter is still up');
    assert.ok(target.exitCode === null && target.signalCode === null, 'the target process is alive');
    assert.equal(niceOf(pid), niceBefore, 'its nice value is unchanged');
    const tokensAfter = (await api.admin.call<{ items: unknown[] }>('get', '/tokens')).body.items.length;
    assert.equal(tokensAfter, tokensBefore);
    const newLines = api.auditLines().slice(auditBefore);
    assert.ok(newLines.length > 0, 'refusals of mutating routes are audited');
    assert.deepEqual(
      newLines.filter((l) => l.result !== 'refused').map((l) => `${l.action} ${l.result} ${l.status}`),
      [],
    );
  });
});
