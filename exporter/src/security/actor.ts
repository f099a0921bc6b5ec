/**
 * Who is acting. A direct API user is the token's name. Behind Grafana's plugin proxy every
 * user shares the token of their Grafana role, and Grafana says who they are in
 * X-Grafana-Context (JSON with Login, OrgRole) or X-Grafana-User. Those headers are trusted only
 * on tokens marked as Grafana tokens: anyone else could simply send them.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Role } from './roles.js';
import type { TokenRecord } from './tokens.js';

export interface Actor {
  /** The name recorded in the audit log: the token's name, or the Grafana login. */
  name: string;
  /**
   * A unique key for per-actor state (TOTP secret, lockout): a Grafana user and a token may
   * share a name, and must not share a second factor.
   */
  key: string;
  role: Role;
  tokenName: string;
  /** True when the name came from Grafana's headers. */
  viaGrafana: boolean;
  /** The Grafana organisation role, when known (informational: the token decides the rights). */
  grafanaRole?: string;
}

/** A login is printable and bounded: it ends up in logs and audit records. */
const LOGIN = /^[^\s\p{Cc}]{1,128}$/u;

function grafanaUser(headers: IncomingHttpHeaders): { login: string; orgRole?: string } | undefined {
  const context = headers['x-grafana-context'];
  if (typeof context === 'string') {
    try {
      const parsed = JSON.parse(context) as { Login?: unknown; OrgRole?: unknown };
      if (typeof parsed.Login === 'string' && LOGIN.test(parsed.Login)) {
        return {
          login: parsed.Login,
          ...(typeof parsed.OrgRole === 'string' ? { orgRole: parsed.OrgRole } : {}),
        };
      }
    } catch {
      // fall through to X-Grafana-User
    }
  }
  const user = headers['x-grafana-user'];
  if (typeof user === 'string' && LOGIN.test(user)) return { login: user };
  return undefined;
}

export function resolveActor(token: TokenRecord, headers: IncomingHttpHeaders): Actor {
  const base = { role: token.role, tokenName: token.name };
  if (token.grafana) {
    const user = grafanaUser(headers);
    if (user) {
      return {
        ...base,
        name: user.login,
        key: `grafana:${user.login}`,
        viaGrafana: true,
        ...(user.orgRole ? { grafanaRole: user.orgRole } : {}),
      };
    }
  }
  return { ...base, name: token.name, key: `token:${token.name}`, viaGrafana: false };
}
