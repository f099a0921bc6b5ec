/**
 * A control-API route is data: method, path, the role it needs, its schemas and a handler.
 * The pipeline (pipeline.ts) applies authentication, roles, the second factor, validation and
 * the audit log to every route the same way, and openapi.ts documents them from the same
 * schemas — so a route cannot be added without its protection or its documentation.
 *
 * A route's work comes in two phases, so that a one-time code is never spent on a request that
 * would be refused: `authorize` makes every check that depends on who asks and on what (roles
 * beyond the route's own, admin-only targets, protected units, anti-lockout…) and returns what
 * the handler needs; only then is the second factor verified, and only then does `handler` act.
 * The handler's context has no requireRole: a role check after the code was spent cannot be
 * written.
 */
import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { Host } from '../hosts/host.js';
import type { Actor } from '../security/actor.js';
import type { Role } from '../security/roles.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RequestContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  actor: Actor;
  /** The host named by the `{host}` path parameter (routes without one get the local host). */
  host: Host;
  /** What the audit record names as the target, when the params alone do not say it. */
  setAuditTarget(target: string): void;
  req: Request;
  res: Response;
}

/** The checking phase: everything that may refuse the request before its code is verified. */
export interface AuthorizeContext<P, Q, B> extends RequestContext<P, Q, B> {
  /** Refuse unless the actor has `role`; `why` is shown to the user. */
  requireRole(role: Role, why: string): void;
}

/** The acting phase: the checks passed, the second factor (if any) was verified. */
export interface HandlerContext<P, Q, B, Plan> extends RequestContext<P, Q, B> {
  /** What authorize() returned. */
  plan: Plan;
}

/** A handler's answer: JSON with status 200 (or `status`), or `undefined` when it wrote `res` itself. */
export type RouteResult = { status?: number; body: unknown } | undefined;

interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, Plan> {
  method: Method;
  /** OpenAPI-style path below /api/v1, e.g. "/hosts/{host}/processes/{pid}". */
  path: string;
  summary: string;
  tag: string;
  /** The least role allowed to call it. */
  role: Role;
  /** For mutating routes: the audit action name, e.g. "process.signal". */
  action?: string;
  /**
   * For reading routes whose answer is itself sensitive (a file's contents): the audit action
   * name when this query asks for such an answer, so the read is audited like an action.
   */
  auditRead?(query: z.infer<Q>): string | undefined;
  /**
   * Mutating routes need the second factor unless this is false — only for the routes that
   * establish or drop the second factor itself (enrolment, its confirmation, dropping elevation),
   * and for the configuration reload, which only puts in force what the host's own file already
   * says (as SIGHUP or a restart would) and is called by configuration-management tools.
   */
  otp?: boolean;
  /**
   * Also served at this path outside /api/v1, with the same pipeline: Prometheus' conventional
   * lifecycle path (/-/reload), which tools expect at the server's root.
   */
  alias?: string;
  params?: P;
  query?: Q;
  body?: B;
  /**
   * The body is not JSON but a byte stream the handler reads from `req` itself (file uploads).
   * Every check of the pipeline still runs first; the stream is left unread for the handler,
   * and the request timeout does not apply, since how long a body takes to arrive depends on
   * the client's bandwidth — such a handler bounds the stream itself (size, idle time).
   * Documented as application/octet-stream; cannot be combined with `body`.
   */
  rawBody?: boolean;
  /** Documentation of the successful answer. */
  response?: z.ZodType;
  /**
   * The route acts on the inventory entry `{host}` names (approve, rescan, change, remove), not
   * through the host: it runs for a host awaiting approval too, which has no Host to act through
   * (its `host` is the local one, unused).
   */
  inventoryEntry?: boolean;
  /** Every refusal that depends on the caller or the target; returns the handler's plan. */
  authorize?(ctx: AuthorizeContext<z.infer<P>, z.infer<Q>, z.infer<B>>): Promise<Plan> | Plan;
  handler(ctx: HandlerContext<z.infer<P>, z.infer<Q>, z.infer<B>, Plan>): Promise<RouteResult>;
}

export interface Route {
  method: Method;
  path: string;
  summary: string;
  tag: string;
  role: Role;
  action: string | undefined;
  mutating: boolean;
  otp: boolean;
  params: z.ZodType | undefined;
  query: z.ZodType | undefined;
  body: z.ZodType | undefined;
  rawBody: boolean;
  alias: string | undefined;
  inventoryEntry: boolean;
  /** Names of the `{name*}` path parameters (see expressPath). */
  wildcards: string[];
  response: z.ZodType | undefined;
  /** The audit action of a reading request, when it is audited (see RouteSpec.auditRead). */
  auditedRead(query: unknown): string | undefined;
  authorize(ctx: AuthorizeContext<unknown, unknown, unknown>): Promise<unknown>;
  run(ctx: HandlerContext<unknown, unknown, unknown, unknown>): Promise<RouteResult>;
}

export function defineRoute<
  P extends z.ZodType = z.ZodType<Record<string, never>>,
  Q extends z.ZodType = z.ZodType<Record<string, never>>,
  B extends z.ZodType = z.ZodType<undefined>,
  Plan = undefined,
>(spec: RouteSpec<P, Q, B, Plan>): Route {
  const mutating = spec.method !== 'get';
  if (mutating && !spec.action)
    throw new Error(`${spec.method} ${spec.path}: mutating routes need an action name`);
  if (!mutating && spec.otp !== undefined)
    throw new Error(`${spec.method} ${spec.path}: reading routes never ask for a second factor`);
  if (mutating && spec.auditRead)
    throw new Error(`${spec.method} ${spec.path}: mutating routes are always audited`);
  if (spec.rawBody && spec.body)
    throw new Error(`${spec.method} ${spec.path}: a raw body has no JSON schema`);
  return {
    method: spec.method,
    path: spec.path,
    summary: spec.summary,
    tag: spec.tag,
    role: spec.role,
    action: spec.action,
    mutating,
    otp: mutating && spec.otp !== false,
    params: spec.params,
    query: spec.query,
    body: spec.body,
    rawBody: spec.rawBody ?? false,
    alias: spec.alias,
    inventoryEntry: spec.inventoryEntry ?? false,
    wildcards: [...spec.path.matchAll(WILDCARD)].map((m) => m[1]!),
    response: spec.response,
    // The pipeline validated params, query and body with exactly these schemas, so the
    // inferred types hold; the casts only re-attach them after the route list erased them.
    auditedRead: (query) => spec.auditRead?.(query as z.infer<Q>),
    authorize: async (ctx) => spec.authorize?.(ctx as AuthorizeContext<z.infer<P>, z.infer<Q>, z.infer<B>>),
    run: (ctx) => spec.handler(ctx as HandlerContext<z.infer<P>, z.infer<Q>, z.infer<B>, Plan>),
  };
}

/**
 * A last path parameter written `/{name*}` takes the rest of the path, slashes included, and
 * may be empty: "/hosts/{host}/files/{root}/{path*}" serves /files/data, /files/data/ and
 * /files/data/a/b. Its handler gets one string, the segments joined by "/" (wildcardParams).
 */
const WILDCARD = /\/\{([A-Za-z0-9_]+)\*\}/g;

/** "/hosts/{host}/processes/{pid}" → "/hosts/:host/processes/:pid" for express; `/{rest*}` → `{/*rest}`. */
export function expressPath(path: string): string {
  return path.replace(WILDCARD, '{/*$1}').replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
}

/** The path as OpenAPI writes it: a wildcard is an ordinary parameter there ("{path}"). */
export function openApiPath(path: string): string {
  return path.replace(WILDCARD, '/{$1}');
}

/**
 * Express hands a wildcard over as its decoded segments (absent when empty); routes and their
 * schemas see one string, the segments joined by "/" ("" when absent). An encoded slash
 * (%2F) inside a segment therefore reads as a separator, as on most servers.
 */
export function wildcardParams(route: Route, params: Record<string, unknown>): Record<string, unknown> {
  if (route.wildcards.length === 0) return params;
  const out = { ...params };
  for (const name of route.wildcards) {
    const value = out[name];
    out[name] = Array.isArray(value) ? value.join('/') : typeof value === 'string' ? value : '';
  }
  return out;
}
