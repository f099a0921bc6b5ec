/**
 * The one error type of Hyperion. Anything that should reach a client as a clear answer is a
 * HyperionError: it carries the HTTP status and the problem type (RFC 9457) it maps to, so the
 * edge never has to guess. Anything else that escapes is a bug and becomes a 500.
 */
export type ProblemType =
  | 'bad-request'
  | 'validation'
  | 'unauthenticated'
  | 'role'
  | 'identity'
  | 'forbidden'
  | 'otp-required'
  | 'otp-invalid'
  | 'rate-limited'
  | 'not-found'
  | 'conflict'
  | 'precondition-failed'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'range-not-satisfiable'
  | 'unsupported'
  | 'unavailable'
  | 'timeout'
  | 'internal';

const STATUS: Record<ProblemType, number> = {
  'bad-request': 400,
  validation: 400,
  unauthenticated: 401,
  role: 403,
  identity: 403,
  forbidden: 403,
  'otp-required': 403,
  'otp-invalid': 403,
  'rate-limited': 429,
  'not-found': 404,
  conflict: 409,
  'precondition-failed': 412,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  'range-not-satisfiable': 416,
  unsupported: 501,
  unavailable: 503,
  timeout: 504,
  internal: 500,
};

export interface HyperionErrorOptions {
  /** The request field that failed validation, as a JSON pointer-like path ("body/nice"). */
  field?: string;
  /** Extra members for the problem document (e.g. retryAfterSeconds). */
  extra?: Record<string, unknown>;
  cause?: unknown;
}

export class HyperionError extends Error {
  readonly type: ProblemType;
  readonly status: number;
  readonly field: string | undefined;
  readonly extra: Record<string, unknown> | undefined;

  constructor(type: ProblemType, message: string, options: HyperionErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HyperionError';
    this.type = type;
    this.status = STATUS[type];
    this.field = options.field;
    this.extra = options.extra;
  }
}

export function isHyperionError(err: unknown): err is HyperionError {
  return err instanceof HyperionError;
}

/** Node's errno codes for "this path does not exist", the most common expected failure. */
export function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || (isHyperionError(err) && err.type === 'not-found');
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
