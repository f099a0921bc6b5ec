/**
 * Who is acting. A direct API user is the token itself. Behind Grafana's plugin proxy every
 * user shares the token of their Grafana role, and Grafana says who they are in
 * X-Grafana-Context: the JSON of its signed-in user. Those headers are read only on tokens marked
 * as Grafana tokens (anyone else could simply send them), and the actor is keyed on what Grafana
 * never changes for a person — the numeric user id and the organisation — not on the login,
 * which people rename. The login is only the name shown in the audit log.
 *
 * A Grafana token's holder can still write any id into the header. That cannot make them
 * anyone who matters: a person's second factor is bound to the key, and a key nobody enrolled
 * can only be enrolled with a code an admin issued for it (second-factor.ts).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { HyperionError } from '../util/errors.js';
import type { Role } from './roles.js';
import type { TokenRecord } from './tokens.js';

export interface Actor {
  /** The name recorded in the audit log: the token's name, or the Grafana login. */
  name: string;
  /**
   * The identity per-actor state hangs on (TOTP secret, lockout, elevation):
   * `token:<name>` or `grafana:<org id>:<user id>`.
   */
  key: string;
  role: Role;
  tokenName: string;
  /** The token's id: an elevation belongs to one actor on one token. */
  tokenId: string;
  /** True when the identity came from Grafana's headers. */
  viaGrafana: boolean;
  /** The Grafana organisation role, when known (informational: the token decides the rights). */
  grafanaRole?: string;
}

/** A login is printable and bounded: it ends up in logs and audit records. */
const LOGIN = /^[^\s\p{Cc}]{1,128}$/u;
/** Grafana's ids are positive 64-bit integers; JSON gives them as numbers. */
const MAX_ID = Number.MAX_SAFE_INTEGER;

export const ACTOR_KEY =
  /^(?:token:[A-Za-z0-9][A-Za-z0-9._@-]{0,63}|grafana:[1-9]\d{0,15}:(?:[1-9]\d{0,15}|anonymous))$/;

export function tokenActorKey(tokenName: string): string {
  return `token:${tokenName}`;
}

export function grafanaActorKey(orgId: number, userId: number | 'anonymous'): string {
  return `grafana:${orgId}:${userId}`;
}

function idOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_ID
    ? value
    : undefined;
}

interface GrafanaUser {
  orgId: number;
  userId: number | 'anonymous';
  login: string;
  orgRole?: string;
}

function unidentified(why: string): HyperionError {
  return new HyperionError(
    'identity',
    `this token is a Grafana token, and ${why}: requests on it must come through Grafana's plugin proxy, which says who is signed in (X-Grafana-Context)`,
  );
}

/** The signed-in user Grafana describes in X-Grafana-Context (field names of old and new versions). */
function grafanaUser(headers: IncomingHttpHeaders): GrafanaUser {
  const raw = headers['x-grafana-context'];
  if (typeof raw !== 'string') throw unidentified('the request does not say who is signed in');
  if (raw.length > 16_384) throw unidentified('X-Grafana-Context is too long');
  // Grafana writes the JSON as UTF-8 bytes; Node hands header values over one byte per character.
  const decoded = Buffer.from(raw, 'latin1').toString('utf8');
  const context = decoded.includes('\uFFFD') ? raw : decoded;
  let parsed: Record<string, unknown>;
  try {
    const value: unknown = JSON.parse(context);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    parsed = value as Record<string, unknown>;
  } catch {
    throw unidentified('X-Grafana-Context is not JSON');
  }
  const orgId = idOf(parsed.OrgID ?? parsed.OrgId);
  if (orgId === undefined || orgId === 0) throw unidentified('X-Grafana-Context names no organisation id');
  const orgRole = typeof parsed.OrgRole === 'string' ? { orgRole: parsed.OrgRole.slice(0, 32) } : {};
  if (parsed.IsAnonymous === true) return { orgId, userId: 'anonymous', login: 'anonymous', ...orgRole };
  const userId = idOf(parsed.UserID ?? parsed.UserId);
  if (userId === undefined || userId === 0) throw unidentified('X-Grafana-Context names no user id');
  const login =
    typeof parsed.Login === 'string' && LOGIN.test(parsed.Login) ? parsed.Login : `user-${userId}`;
  return { orgId, userId, login, ...orgRole };
}

export function resolveActor(token: TokenRecord, headers: IncomingHttpHeaders): Actor {
  const base = { role: token.role, tokenName: token.name, tokenId: token.id };
  if (!token.grafana) return { ...base, name: token.name, key: tokenActorKey(token.name), viaGrafana: false };
  const user = grafanaUser(headers);
  return {
    ...base,
    name: user.login,
    key: grafanaActorKey(user.orgId, user.userId),
    viaGrafana: true,
    ...(user.orgRole ? { grafanaRole: user.orgRole } : {}),
  };
}
