/**
 * The one path every control-API request takes:
 *   token → actor → role → second factor present? → body → validation → host → code verified
 *   → handler → audit record (mutating routes, allowed or refused, on disk) → answer.
 * The order is deliberate: a request without a code is refused before its body is read, and a
 * code is spent only on a request that is otherwise valid.
 */
import { performance } from 'node:perf_hooks';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { Actor } from '../security/actor.js';
import { resolveActor } from '../security/actor.js';
import type { AuditResult } from '../security/audit.js';
import { hasRole, type Role } from '../security/roles.js';
import { sendProblem } from '../server/problem.js';
import { HyperionError, errorMessage, isHyperionError } from '../util/errors.js';
import type { ApiDeps } from './deps.js';
import type { ApiMetrics } from './metrics.js';
import { wildcardParams, type Route } from './route.js';

export const OTP_HEADER = 'x-hyperion-otp';

function authenticate(deps: ApiDeps, req: Request) {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match)
    throw new HyperionError('unauthenticated', 'send an API token as "Authorization: Bearer <token>"');
  const token = deps.tokens.verify(match[1]!);
  if (!token) throw new HyperionError('unauthenticated', 'the API token is unknown or revoked');
  return token;
}

/** A route that declares no query or params takes none: unknown parameters are refused, not ignored. */
const NOTHING = z.object({}).strict();

function validate<T>(schema: z.ZodType<T> | undefined, value: unknown, location: string): T {
  const result = (schema ?? NOTHING).safeParse(value);
  if (result.success) return result.data as T;
  const issue = result.error.issues[0]!;
  const field = [location, ...issue.path.map(String)].join('/');
  throw new HyperionError('validation', `${field}: ${issue.message}`, { field });
}

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

function redact(body: unknown, fields: string[]): unknown {
  if (fields.length === 0 || typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const copy: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const f of fields) if (f in copy) copy[f] = '[redacted]';
  return copy;
}

function withTimeout<T>(promise: Promise<T>, seconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new HyperionError(
            'timeout',
            `no answer within ${seconds} s; the action may still complete — check before retrying`,
          ),
        ),
      seconds * 1000,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function createHandler(route: Route, deps: ApiDeps, metrics: ApiMetrics): RequestHandler {
  const jsonParser = express.json({ limit: deps.config.api.bodyLimitBytes, strict: true });
  const parseBody = (req: Request, res: Response) =>
    new Promise<void>((resolve, reject) =>
      jsonParser(req, res, (err?: unknown) => (err ? reject(err) : resolve())),
    );

  return async (req, res) => {
    const started = performance.now();
    let actor: Actor | undefined;
    let otpUsed = false;
    let auditTarget: string | null = null;
    let args: unknown = null;
    let status = 200;

    const audit = (result: AuditResult, error: string | null) => {
      if (!route.mutating) return;
      deps.audit.append({
        time: new Date().toISOString(),
        actor: actor?.name ?? null,
        tokenName: actor?.tokenName ?? null,
        role: actor?.role ?? null,
        viaGrafana: actor?.viaGrafana ?? false,
        host: typeof req.params.host === 'string' ? req.params.host : null,
        action: route.action!,
        target: auditTarget,
        args,
        otpUsed,
        result,
        status,
        error,
        // The socket is gone (null) once a client hung up during a streamed body.
        remoteAddress: req.socket?.remoteAddress ?? null,
      });
    };

    try {
      const token = authenticate(deps, req);
      const who = resolveActor(token, req.headers);
      actor = who;
      if (!hasRole(who.role, route.role)) {
        throw new HyperionError(
          'role',
          `${route.action ?? route.path} needs the ${route.role} role; ${who.name} is ${who.role}`,
        );
      }
      const code = req.headers[OTP_HEADER];
      const otpNeeded = route.otp && deps.otp.required(who);
      if (otpNeeded && (typeof code !== 'string' || code === '')) await deps.otp.verifyCall(who, undefined);

      // A raw body stays in the request stream, unread, for the handler.
      if (hasBody(req) && !route.rawBody) {
        if (!route.body) throw new HyperionError('bad-request', 'this request takes no body');
        if (!req.is(['application/json', 'application/*+json'])) {
          throw new HyperionError(
            'unsupported-media-type',
            'send the body as JSON (Content-Type: application/json)',
          );
        }
        await parseBody(req, res);
      }
      const params = validate(route.params, wildcardParams(route, req.params), 'params');
      const query = validate(route.query, req.query, 'query');
      const body = route.body ? validate(route.body, req.body, 'body') : undefined;
      args = {
        ...(params as object),
        ...(query as object),
        ...(route.body ? { body: redact(body, route.redact) } : {}),
      };
      const p = params as { host?: string; pid?: number; name?: string };
      auditTarget = p.pid !== undefined ? String(p.pid) : (p.name ?? null);
      const host = deps.hosts.get(p.host ?? 'local');

      if (otpNeeded) {
        await deps.otp.verifyCall(who, code as string);
        otpUsed = true;
      }

      const run = route.run({
        params,
        query,
        body,
        actor: who,
        host,
        req,
        res,
        requireRole(role: Role, why: string) {
          if (!hasRole(who.role, role))
            throw new HyperionError('role', `${why}: needs the ${role} role; ${who.name} is ${who.role}`);
        },
        setAuditTarget(target: string) {
          auditTarget = target;
        },
      });
      // A streamed body lasts as long as the client takes to send it; its handler bounds it.
      const result = await (route.rawBody ? run : withTimeout(run, deps.config.api.requestTimeoutSeconds));
      status = result?.status ?? 200;
      audit('ok', null);
      if (result !== undefined && !res.headersSent) res.status(status).json(result.body);
    } catch (error) {
      const problem = toProblem(error, deps, req);
      status = problem.status;
      audit(status >= 500 ? 'failed' : 'refused', problem.message);
      // A refused upload is not read to its end: the connection closes after the answer.
      if (route.rawBody && !req.complete && !res.headersSent) res.setHeader('Connection', 'close');
      if (!res.headersSent) sendProblem(res, problem);
      else res.destroy();
    } finally {
      const labels = { route: route.path, method: route.method.toUpperCase() };
      metrics.requests.inc({ ...labels, code: String(status) });
      metrics.duration.observe(labels, (performance.now() - started) / 1000);
    }
  };
}

/** Anything not already a HyperionError: express' body-parser errors, or a bug (logged, 500). */
function toProblem(error: unknown, deps: ApiDeps, req: Request): HyperionError {
  if (isHyperionError(error)) return error;
  const e = error as { type?: string; status?: number; message?: string };
  if (e?.type === 'entity.too.large' || e?.status === 413) {
    return new HyperionError(
      'payload-too-large',
      `the body is larger than ${deps.config.api.bodyLimitBytes} bytes`,
    );
  }
  if (e?.type === 'entity.parse.failed')
    return new HyperionError('bad-request', `malformed JSON: ${e.message}`);
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return new HyperionError('bad-request', e.message ?? 'bad request');
  }
  deps.log.error({ err: error, method: req.method, path: req.path }, 'unhandled error in API route');
  return new HyperionError(
    'internal',
    `internal error (${errorMessage(error).slice(0, 200)}); the exporter log has details`,
  );
}
