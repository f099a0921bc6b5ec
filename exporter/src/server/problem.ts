/**
 * Every error answer is an RFC 9457 problem document. HyperionErrors carry their own status;
 * anything else is a bug, logged with its stack and answered with a bare 500.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { HyperionError, isHyperionError } from '../util/errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
/** Problem types are URNs: stable identifiers that promise no web page. */
export const PROBLEM_BASE = 'urn:hyperion:problem:';

const TITLES: Record<string, string> = {
  'bad-request': 'Bad request',
  validation: 'Invalid request',
  unauthenticated: 'Authentication required',
  role: 'Role not allowed',
  identity: 'Identity not established',
  forbidden: 'Never served',
  'otp-required': 'Second factor required',
  'otp-invalid': 'Second factor invalid',
  'rate-limited': 'Too many attempts',
  'not-found': 'Not found',
  conflict: 'Conflict',
  'precondition-failed': 'Precondition failed',
  'payload-too-large': 'Request too large',
  'unsupported-media-type': 'Unsupported media type',
  'range-not-satisfiable': 'Range not satisfiable',
  unsupported: 'Not supported on this host',
  unavailable: 'Unavailable',
  timeout: 'Timed out',
  internal: 'Internal error',
};

/** The RFC 9457 document for an error. */
function problemDocument(error: HyperionError): string {
  return JSON.stringify({
    type: PROBLEM_BASE + error.type,
    title: TITLES[error.type] ?? error.type,
    status: error.status,
    detail: error.message,
    ...(error.field === undefined ? {} : { field: error.field }),
    ...error.extra,
  });
}

export function sendProblem(res: Response, error: HyperionError): void {
  const retry = error.extra?.retryAfterSeconds;
  if (typeof retry === 'number') res.setHeader('Retry-After', String(Math.ceil(retry)));
  res.status(error.status).type(PROBLEM_CONTENT_TYPE).send(problemDocument(error));
}

/** sendProblem() for a plain node:http answer, before express has seen the request. */
export function writeProblem(
  res: ServerResponse,
  error: HyperionError,
  headers: OutgoingHttpHeaders = {},
): void {
  const body = problemDocument(error);
  const retry = error.extra?.retryAfterSeconds;
  res.writeHead(error.status, {
    ...headers,
    ...(typeof retry === 'number' ? { 'Retry-After': String(Math.ceil(retry)) } : {}),
    'Content-Type': PROBLEM_CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Express' own errors (body parser and friends) carry an HTTP status and an `expose` flag. */
function fromHttpError(err: unknown): HyperionError | undefined {
  const e = err as {
    status?: number;
    statusCode?: number;
    expose?: boolean;
    message?: string;
    type?: string;
  };
  const status = e?.status ?? e?.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  if (status === 413) return new HyperionError('payload-too-large', e.message ?? 'request body too large');
  if (e.type === 'entity.parse.failed')
    return new HyperionError('bad-request', `malformed JSON body: ${e.message}`);
  return new HyperionError(
    status === 404 ? 'not-found' : 'bad-request',
    e.expose ? (e.message ?? 'bad request') : 'bad request',
  );
}

export function notFoundHandler(): RequestHandler {
  return (req, res) =>
    sendProblem(res, new HyperionError('not-found', `no such path: ${req.method} ${req.path}`));
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const known = isHyperionError(err) ? err : fromHttpError(err);
    if (known) {
      sendProblem(res, known);
      return;
    }
    log.error({ err, method: req.method, path: req.path }, 'unhandled error');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendProblem(res, new HyperionError('internal', 'internal error; the exporter log has the details'));
  };
}
