/**
 * Who is signed in to the harness and in which theme — the stand-in for Grafana's session.
 * Kept in cookies so that the page (boot data) and the proxy (X-Grafana-Context, reqRole)
 * agree, and a browser test can switch user by setting a cookie.
 */
export type OrgRole = 'Viewer' | 'Editor' | 'Admin' | 'None';

export interface HarnessUser {
  login: string;
  role: OrgRole;
  /**
   * Grafana's user id: what the exporter keys an actor on, and what stays when a login is
   * renamed. Absent: a stable number derived from the login, so every login is its own user.
   */
  id?: number;
}

export const USER_COOKIE = 'hyperion_harness_user';
export const THEME_COOKIE = 'hyperion_harness_theme';

const ROLES: readonly OrgRole[] = ['Viewer', 'Editor', 'Admin', 'None'];
/** Grafana logins may hold almost anything; not ":" (the cookie's separator), spaces or controls. */
const LOGIN = /^[^\s:;,\p{Cc}]{1,64}$/u;

export const DEFAULT_USER: HarnessUser = { login: 'admin', role: 'Admin', id: 1 };

/** The user's Grafana id: given, or FNV-1a of the login above 1000 (Grafana's ids are positive). */
export function userId(user: HarnessUser): number {
  if (user.id !== undefined) return user.id;
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(user.login, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return 1000 + (hash % 1_000_000);
}

/** "Editor:olga" or "Editor:olga:17" → { role, login, id? }; anything malformed is the default user. */
export function parseUser(value: string | undefined): HarnessUser {
  const [role, login, id] = (value ?? '').split(':');
  if (!role || !login || !ROLES.includes(role as OrgRole) || !LOGIN.test(login)) return DEFAULT_USER;
  if (id !== undefined && !/^[1-9]\d{0,8}$/.test(id)) return DEFAULT_USER;
  return { role: role as OrgRole, login, ...(id === undefined ? {} : { id: Number(id) }) };
}

export function formatUser(user: HarnessUser): string {
  return user.id === undefined ? `${user.role}:${user.login}` : `${user.role}:${user.login}:${user.id}`;
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
