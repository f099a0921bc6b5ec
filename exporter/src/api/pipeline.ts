/**
 * The one path every control-API request takes:
 *   token → actor → route role → body → validation → host → authorize (every refusal that
 *   depends on who asks and on what) → second factor (elevation, or a code verified and spent)
 *   → handler → audit record (on disk) → answer.
 * The order is deliberate: a one-time code is verified only once nothing else can refuse the
 * request, so a refused request never spends one; and the audit record is durable before the
 * answer leaves. Requests without a valid token stop at the first step and are never audited
 * (authenticate.ts counts them instead).
 */
import { performance } from 'node:perf_hooks';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { Actor } from '../security/actor.js';
import { resolveActor } from '../security/actor.js';
import type { AuditResult } from '../security/audit.js';
import { hasRole, type Role } from '../security/roles.js';
import type { FactorUse } from '../security/second-factor.js';
import { sendProblem } from '../server/problem.js';
import { HyperionError, errorMessage, isHyperionError } from '../util/errors.js';
import type { ApiDeps } from './deps.js';
import type { ApiMetrics } from './metrics.js';
import { wildcardParams, type Route } from './route.js';
import { hostName as hostNameSchema } from './schemas.js';
import { redactSecrets } from './secret.js';

export const OTP_HEADER = 'x-hyperion-otp';

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
  // Made again only when a reloaded configuration changed the limit.
  let parser = { limit: 0, parse: express.json() };
  const jsonParser = () => {
    const limit = deps.config.api.bodyLimitBytes;
    if (parser.limit !== limit) parser = { limit, parse: express.json({ limit, strict: true }) };
    return parser.parse;
  };
  const parseBody = (req: Request, res: Response) =>
    new Promise<void>((resolve, reject) =>
      jsonParser()(req, res, (err?: unknown) => (err ? reject(err) : resolve())),
    );

  return async (req, res) => {
    const started = performance.now();
    let actor: Actor | undefined;
    let factor: FactorUse | null = null;
    let auditAction: string | undefined = route.action;
    let auditTarget: string | null = null;
    let hostName: string | null = null;
    let args: unknown = null;
    let status = 200;

    const audit = (result: AuditResult, error: string | null) => {
      // Without an actor there is nobody to hold to account: such requests are only counted.
      if (auditAction === undefined || actor === undefined) return;
      deps.audit.append({
        time: new Date().toISOString(),
        actor: actor.name,
        actorKey: actor.key,
        tokenName: actor.tokenName,
        role: actor.role,
        viaGrafana: actor.viaGrafana,
        host: hostName,
        action: auditAction,
        target: auditTarget,
        args,
        otpUsed: factor !== null,
        secondFactor: factor,
        result,
        status,
        error,
        // The socket is gone (null) once a client hung up during a streamed body.
        remoteAddress: req.socket?.remoteAddress ?? null,
      });
    };

    try {
      const token = deps.authenticator.token(req, 'api');
      // The host is named in the record even when the request is refused before validation, but
      // only a well-formed name: a raw parameter could be anything a client sends.
      const rawHost = (req.params as Record<string, unknown>).host;
      if (hostNameSchema.safeParse(rawHost).success) hostName = rawHost as string;
      const who = resolveActor(token, req.headers);
      actor = who;
      if (!hasRole(who.role, route.role)) {
        throw new HyperionError(
          'role',
          `${route.action ?? route.path} needs the ${route.role} role; ${who.name} is ${who.role}`,
        );
      }
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
      auditAction ??= route.auditedRead(query);
      args = {
        ...(redactSecrets(route.params, params) as object),
        ...(redactSecrets(route.query, query) as object),
        ...(route.body ? { body: redactSecrets(route.body, body) } : {}),
      };
      const p = params as { host?: string; pid?: number; name?: string };
      hostName = p.host ?? null;
      auditTarget = p.pid !== undefined ? String(p.pid) : (p.name ?? null);
      // 404 for an unknown host, 409 for one awaiting approval (but on its inventory entry).
      const host = route.inventoryEntry ? deps.hosts.local() : deps.hosts.get(p.host ?? 'local');
      const base = {
        params,
        query,
        body,
        actor: who,
        host,
        req,
        res,
        setAuditTarget(target: string) {
          auditTarget = target;
        },
      };
      const plan = await withTimeout(
        route.authorize({
          ...base,
          requireRole(role: Role, why: string) {
            if (!hasRole(who.role, role))
              throw new HyperionError('role', `${why}: needs the ${role} role; ${who.name} is ${who.role}`);
          },
        }),
        deps.config.api.requestTimeoutSeconds,
      );

      if (route.otp && deps.secondFactor.required(who)) {
        const code = req.headers[OTP_HEADER];
        factor = await deps.secondFactor.verify(who, typeof code === 'string' ? code : undefined);
      }

      const run = route.run({ ...base, plan });
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
