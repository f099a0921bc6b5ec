/**
 * Who is signed in to the harness and in which theme — the stand-in for Grafana's session.
 * Kept in cookies so that the page (boot data) and the proxy (X-Grafana-Context, reqRole)
 * agree, and a browser test can switch user by setting a cookie.
 */
export type OrgRole = 'Viewer' | 'Editor' | 'Admin' | 'None';

export interface HarnessUser {
  login: string;
  role: OrgRole;
}

export const USER_COOKIE = 'hyperion_harness_user';
export const THEME_COOKIE = 'hyperion_harness_theme';

const ROLES: readonly OrgRole[] = ['Viewer', 'Editor', 'Admin', 'None'];
/** Grafana logins may hold almost anything; not ":" (the cookie's separator), spaces or controls. */
const LOGIN = /^[^\s:;,\p{Cc}]{1,64}$/u;

export const DEFAULT_USER: HarnessUser = { login: 'admin', role: 'Admin' };

/** "Editor:olga" → { role, login }; anything malformed is the default user. */
export function parseUser(value: string | undefined): HarnessUser {
  const [role, login] = (value ?? '').split(':');
  if (!role || !login || !ROLES.includes(role as OrgRole) || !LOGIN.test(login)) return DEFAULT_USER;
  return { role: role as OrgRole, login };
}

export function formatUser(user: HarnessUser): string {
  return `${user.role}:${user.login}`;
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) out[part.slice(0, at).trim()] = decodeURIComponent(part.slice(at + 1).trim());
  }
  return out;
}

/** Grafana's org-role order: a route's reqRole is met by that role and any above it. */
export function roleIncludes(have: OrgRole, need: string): boolean {
  const rank: Record<string, number> = { None: 0, Viewer: 1, Editor: 2, Admin: 3 };
  return (rank[have] ?? 0) >= (rank[need] ?? 99);
}
