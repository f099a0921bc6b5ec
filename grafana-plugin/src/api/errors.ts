/**
 * Every failed request becomes one ApiError with a `kind` the pages can branch on and a message
 * a person can act on. The exporter answers problem+json (`urn:hyperion:problem:<kind>`, title,
 * detail); Grafana's proxy answers its own JSON (`{ message }`) when it refuses a route itself,
 * e.g. a Viewer calling a route that needs Editor. Both end up here.
 */

/** RFC 9457 problem document as the exporter sends it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  field?: string;
  retryAfterSeconds?: number;
  [member: string]: unknown;
}

export type ErrorKind =
  | 'role'
  | 'otp-required'
  | 'otp-invalid'
  | 'otp-not-enrolled'
  | 'rate-limited'
  | 'not-found'
  | 'conflict'
  | 'precondition-failed'
  | 'validation'
  | 'unauthenticated'
  | 'grafana-denied'
  | 'no-route'
  | 'cancelled'
  | 'network'
  | 'server'
  | 'other';

const PROBLEM_PREFIX = 'urn:hyperion:problem:';

const KNOWN_KINDS: ReadonlySet<string> = new Set([
  'role',
  'otp-required',
  'otp-invalid',
  'rate-limited',
  'not-found',
  'conflict',
  'precondition-failed',
  'validation',
  'unauthenticated',
]);

export class ApiError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly status: number,
    message: string,
    readonly problem?: Problem,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /**
   * The one-time code was right but already spent on an earlier action (each works once): the
   * exporter does not count that toward the lockout, so asking for the next code is safe.
   */
  get codeAlreadySpent(): boolean {
    return this.kind === 'otp-invalid' && this.problem?.reason === 'replayed';
  }

  /** Seconds until a locked-out actor may try again (429), or until the next code (a spent one). */
  get retryAfterSeconds(): number | undefined {
    const value = this.problem?.retryAfterSeconds;
    return typeof value === 'number' ? value : undefined;
  }
}

export function isProblem(value: unknown): value is Problem {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.type === 'string' && typeof v.status === 'number' && typeof v.title === 'string';
}

function kindOfProblem(problem: Problem): ErrorKind {
  const kind = problem.type.startsWith(PROBLEM_PREFIX) ? problem.type.slice(PROBLEM_PREFIX.length) : '';
  if (KNOWN_KINDS.has(kind)) return kind as ErrorKind;
  if (kind === 'bad-request') return 'validation';
  return problem.status >= 500 ? 'server' : 'other';
}

/** The exporter's detail as the start of a sentence. */
function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1).replace(/\.$/, '');
}

/** The sentence shown to the user, problem detail first: the exporter words it for people. */
function messageOf(kind: ErrorKind, status: number, problem: Problem | undefined, fallback: string): string {
  const detail = problem?.detail ?? problem?.title;
  switch (kind) {
    case 'role':
      return `Not allowed: ${detail ?? 'your role cannot do this'}.`;
    case 'otp-invalid':
      if (problem?.reason === 'replayed') {
        const wait =
          problem.retryAfterSeconds === undefined
            ? ''
            : ` (it comes in about ${problem.retryAfterSeconds} s)`;
        return `That code was already used for an earlier action: each code works once. Nothing was changed; enter the next code from your authenticator${wait}.`;
      }
      if (problem?.reason === 'enrolment-code' && detail) return `${sentence(detail)}.`;
      return `${detail ? sentence(detail) : 'The one-time code was wrong, expired or already used'}. Nothing was changed; try again with the next code from your authenticator.`;
    case 'rate-limited':
      return `Too many wrong codes: locked out for ${problem?.retryAfterSeconds ?? 'a few'} seconds. ${detail ?? ''}`.trim();
    case 'unauthenticated':
      return `The exporter refused the plugin's token (${detail ?? 'unknown token'}). An administrator must set the tokens on the plugin's configuration page.`;
    default:
      return detail ?? (fallback || `Request failed with status ${status}`);
  }
}

/** What getBackendSrv().fetch throws: a FetchError-like object ({ status, data, statusText }). */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (typeof error === 'object' && error !== null && 'status' in error) {
    const e = error as { status: unknown; data?: unknown; statusText?: unknown; cancelled?: unknown };
    if (e.cancelled === true) return new ApiError('cancelled', 0, 'The request was cancelled.');
    const status = typeof e.status === 'number' ? e.status : 0;
    if (isProblem(e.data)) {
      const kind = kindOfProblem(e.data);
      return new ApiError(kind, status, messageOf(kind, status, e.data, ''), e.data);
    }
    const grafanaMessage =
      typeof e.data === 'object' &&
      e.data !== null &&
      typeof (e.data as { message?: unknown }).message === 'string'
        ? (e.data as { message: string }).message
        : undefined;
    if (status === 403 && grafanaMessage !== undefined) {
      // Grafana's own refusal: the route's reqRole is above the user's organisation role.
      return new ApiError(
        'grafana-denied',
        status,
        `Grafana refused: ${grafanaMessage}. Your Grafana role is too low.`,
      );
    }
    if (status === 0) {
      return new ApiError('network', 0, 'The request did not reach Grafana or the exporter (network error).');
    }
    if (status === 502 || status === 504) {
      return new ApiError(
        'network',
        status,
        `Grafana could not reach the exporter (${status}). Check the exporter URL on the configuration page.`,
      );
    }
    const text = grafanaMessage ?? (typeof e.statusText === 'string' ? e.statusText : '');
    return new ApiError(
      status >= 500 ? 'server' : 'other',
      status,
      text || `Request failed with status ${status}`,
    );
  }
  if (error instanceof Error) return new ApiError('network', 0, error.message);
  return new ApiError('other', 0, String(error));
}

/** A short title for an error box, by kind. */
export function errorTitle(error: ApiError): string {
  switch (error.kind) {
    case 'role':
    case 'grafana-denied':
    case 'no-route':
      return 'Not allowed';
    case 'otp-required':
    case 'otp-not-enrolled':
      return 'Second factor needed';
    case 'otp-invalid':
      return 'Wrong one-time code';
    case 'rate-limited':
      return 'Locked out';
    case 'not-found':
      return 'Not found';
    case 'conflict':
    case 'precondition-failed':
      return 'Conflict';
    case 'validation':
      return 'Invalid input';
    case 'network':
      return 'Exporter unreachable';
    case 'unauthenticated':
      return 'Plugin not configured';
    case 'cancelled':
      return 'Cancelled';
    default:
      return error.problem?.title ?? 'Request failed';
  }
}
