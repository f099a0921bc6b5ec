/**
 * The SSH host inventory (hosts/inventory.ts): add, change, approve a host key, fetch it again,
 * remove — admin, second factor, audited like every mutating route — and the inventory as
 * Prometheus HTTP service discovery (GET /targets).
 */
import { z } from 'zod';
import { httpSdTargets } from '../../server/targets.js';
import type { ApiDeps } from '../deps.js';
import { hasRole } from '../../security/roles.js';
import { defineRoute, type Route } from '../route.js';
import { hostName } from '../schemas.js';

/** An inventory name: a host name as everywhere, except "local", the exporter's own machine. */
export const inventoryName = z
  .string()
  .regex(
    /^(?!local$)[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
    'an inventory host name is 1–63 letters, digits, ".", "_" or "-", and not "local" (the exporter’s own host)',
  )
  .describe('Inventory name of an SSH host');

const inventoryParams = z.object({ host: inventoryName }).strict();

/** No control characters (NUL, newline, escape…): they have no place in a path or a label. */
const noControl = (text: string) =>
  ![...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

/** A path on the exporter's own machine (key files, agent socket). */
const localPath = z
  .string()
  .max(4096)
  .regex(/^\//, "an absolute path on the exporter's machine")
  .refine(noControl, 'a path without control characters');

const auth = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('key'),
      privateKeyFile: localPath.describe('Private key the exporter logs in with (OpenSSH, PEM or PPK)'),
      passphraseFile: localPath.optional().describe('File holding the key’s passphrase, if it has one'),
    })
    .strict(),
  z
    .object({
      type: z.literal('agent'),
      socket: localPath.describe('An ssh-agent socket holding the key (SSH_AUTH_SOCK)'),
    })
    .strict(),
]);

const address = z
  .string()
  .regex(/^(?!-)[A-Za-z0-9.:%_-]{1,253}$/, 'a host name or an IPv4/IPv6 address')
  .describe('Where the SSH server listens');

const port = z.number().int().min(1).max(65535);

const user = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$/, 'a login name: letters, digits, "_", "." or "-"');

const privilege = z
  .enum(['root', 'sudo'])
  .describe(
    'root: the login user is root; sudo: privileged verbs through the installed agent with `sudo -n`',
  );

/** Prometheus label names (those starting with "__" are Prometheus' own) and sane values. */
const LABEL_NAME = /^(?!__)[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const labels = z
  .record(z.string(), z.string().max(256).refine(noControl, 'a label value without control characters'))
  .superRefine((value, ctx) => {
    const names = Object.keys(value);
    if (names.length > 32) ctx.addIssue({ code: 'custom', message: 'at most 32 labels' });
    for (const name of names.filter((n) => !LABEL_NAME.test(n))) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: `"${name.slice(0, 64)}" is not a label name: letters, digits and "_", not starting with a digit or "__"`,
      });
    }
  })
  .describe('Labels Prometheus attaches to the host’s series (through /api/v1/targets)');

const addBody = z
  .object({
    name: inventoryName,
    address,
    port: port.default(22),
    user,
    auth,
    privilege: privilege.default('root'),
    labels: labels.default({}),
  })
  .strict();

const changeBody = z
  .object({
    address: address.optional(),
    port: port.optional(),
    user: user.optional(),
    auth: auth.optional(),
    privilege: privilege.optional(),
    labels: labels.optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');

const approveBody = z
  .object({
    fingerprint: z
      .string()
      .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'a SHA256 fingerprint as ssh-keygen -l prints it (SHA256:…)'),
  })
  .strict();

export function inventoryRoutes(deps: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/hosts/{host}',
      summary: 'One host: its address, labels, host key and connection state',
      inventoryEntry: true,
      tag: 'hosts',
      role: 'viewer',
      params: z.object({ host: hostName }).strict(),
      async handler({ params, actor }) {
        if (params.host === 'local') return { body: { name: 'local', kind: 'local' } };
        return { body: deps.inventory.get(params.host, hasRole(actor.role, 'admin')) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/hosts',
      summary: 'Add an SSH host; its host key is fetched and must be approved before use',
      tag: 'hosts',
      role: 'admin',
      action: 'host.add',
      body: addBody,
      async authorize({ body, setAuditTarget }) {
        setAuditTarget(body.name);
        await deps.inventory.checkAdd(body);
      },
      async handler({ body, actor }) {
        return { status: 201, body: await deps.inventory.add(body, actor.name) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/hosts/{host}/approve',
      summary: 'Approve (pin) the host key whose fingerprint was compared with the host',
      tag: 'hosts',
      role: 'admin',
      action: 'host.approve',
      params: inventoryParams,
      inventoryEntry: true,
      body: approveBody,
      authorize({ params, body, setAuditTarget }) {
        setAuditTarget(params.host);
        deps.inventory.checkApprove(params.host, body.fingerprint);
      },
      async handler({ params, body, actor }) {
        return { body: deps.inventory.approve(params.host, body.fingerprint, actor.name) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/hosts/{host}/rescan',
      summary: 'Fetch the host key again (after a legitimate change); a new key awaits approval',
      tag: 'hosts',
      role: 'admin',
      action: 'host.rescan',
      params: inventoryParams,
      inventoryEntry: true,
      authorize({ params, setAuditTarget }) {
        setAuditTarget(params.host);
        deps.inventory.checkKnown(params.host);
      },
      async handler({ params, actor }) {
        return { body: await deps.inventory.rescan(params.host, actor.name) };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/hosts/{host}',
      summary: 'Change a host (address, port, user, authentication, privilege, labels)',
      tag: 'hosts',
      role: 'admin',
      action: 'host.change',
      params: inventoryParams,
      inventoryEntry: true,
      body: changeBody,
      async authorize({ params, body, setAuditTarget }) {
        setAuditTarget(params.host);
        await deps.inventory.checkChange(params.host, body);
      },
      async handler({ params, body, actor }) {
        return { body: await deps.inventory.change(params.host, body, actor.name) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/hosts/{host}',
      summary: 'Remove a host from the inventory and close its connection',
      tag: 'hosts',
      role: 'admin',
      action: 'host.remove',
      params: inventoryParams,
      inventoryEntry: true,
      authorize({ params, setAuditTarget }) {
        setAuditTarget(params.host);
        deps.inventory.checkKnown(params.host);
      },
      async handler({ params, actor }) {
        deps.inventory.remove(params.host, actor.name);
        return { body: { removed: params.host } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/targets',
      summary: 'The approved SSH hosts in Prometheus HTTP service-discovery format (for /probe)',
      tag: 'hosts',
      role: 'viewer',
      async handler() {
        return { body: httpSdTargets(deps.inventory.approved()) };
      },
    }),
  ];
}
