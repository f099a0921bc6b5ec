/**
 * A control-API route is data: method, path, the role it needs, its schemas and a handler.
 * The pipeline (pipeline.ts) applies authentication, roles, the second factor, validation and
 * the audit log to every route the same way, and openapi.ts documents them from the same
 * schemas — so a route cannot be added without its protection or its documentation.
 */
import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { Host } from '../hosts/host.js';
import type { Actor } from '../security/actor.js';
import type { Role } from '../security/roles.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  actor: Actor;
  /** The host named by the `{host}` path parameter (routes without one get the local host). */
  host: Host;
  /** Refuse unless the actor has `role`; `why` is shown to the user. */
  requireRole(role: Role, why: string): void;
  /** What the audit record names as the target, when the params alone do not say it. */
  setAuditTarget(target: string): void;
  req: Request;
  res: Response;
}

/** A handler's answer: JSON with status 200 (or `status`), or `undefined` when it wrote `res` itself. */
export type RouteResult = { status?: number; body: unknown } | undefined;

interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
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
   * Mutating routes need the second factor unless this is false — only for the routes that
   * establish the second factor itself (enrolment and its confirmation).
   */
  otp?: boolean;
  /** Body fields never written to the audit log (codes, secrets). */
  redact?: string[];
  params?: P;
  query?: Q;
  body?: B;
  /** Documentation of the successful answer. */
  response?: z.ZodType;
  handler(ctx: RouteContext<z.infer<P>, z.infer<Q>, z.infer<B>>): Promise<RouteResult>;
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
  redact: string[];
  params: z.ZodType | undefined;
  query: z.ZodType | undefined;
  body: z.ZodType | undefined;
  response: z.ZodType | undefined;
  run(ctx: RouteContext<unknown, unknown, unknown>): Promise<RouteResult>;
}

export function defineRoute<
  P extends z.ZodType = z.ZodType<Record<string, never>>,
  Q extends z.ZodType = z.ZodType<Record<string, never>>,
  B extends z.ZodType = z.ZodType<undefined>,
>(spec: RouteSpec<P, Q, B>): Route {
  const mutating = spec.method !== 'get';
  if (mutating && !spec.action)
    throw new Error(`${spec.method} ${spec.path}: mutating routes need an action name`);
  return {
    method: spec.method,
    path: spec.path,
    summary: spec.summary,
    tag: spec.tag,
    role: spec.role,
    action: spec.action,
    mutating,
    otp: mutating && spec.otp !== false,
    redact: spec.redact ?? [],
    params: spec.params,
    query: spec.query,
    body: spec.body,
    response: spec.response,
    // The pipeline validated params, query and body with exactly these schemas, so the
    // inferred types hold; the cast only re-attaches them after the route list erased them.
    run: (ctx) => spec.handler(ctx as RouteContext<z.infer<P>, z.infer<Q>, z.infer<B>>),
  };
}

/** "/hosts/{host}/processes/{pid}" → "/hosts/:host/processes/:pid" for express. */
export function expressPath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
}
