/**
 * Bearer tokens, for the control API and /probe. A request without a valid token is answered
 * 401 and leaves no durable trace: anyone who reaches the port could otherwise fill the disk
 * through the audit log. It is counted in hyperion_unauthenticated_requests_total and logged
 * at most once a minute with the number of such requests since the last line.
 */
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { TokenRecord, TokenStore } from '../security/tokens.js';
import { HyperionError } from '../util/errors.js';

export type Surface = 'api' | 'probe';
type Reason = 'missing' | 'malformed' | 'unknown';

const LOG_INTERVAL_MS = 60_000;

export class RequestAuthenticator {
  private readonly refused: Counter<'surface' | 'reason'>;
  private unlogged = 0;
  private lastLog = 0;

  constructor(
    private readonly tokens: TokenStore,
    registry: Registry,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.refused = new Counter({
      name: 'hyperion_unauthenticated_requests_total',
      help: 'Requests refused for a missing, malformed or unknown token (never written to the audit log).',
      labelNames: ['surface', 'reason'],
      registers: [registry],
    });
    for (const surface of ['api', 'probe'])
      for (const reason of ['missing', 'malformed', 'unknown']) this.refused.inc({ surface, reason }, 0);
  }

  /** The request's token, or a 401 problem. */
  token(req: IncomingMessage, surface: Surface): TokenRecord {
    const header = req.headers.authorization;
    if (typeof header !== 'string' || header === '') {
      throw this.refuse(req, surface, 'missing', 'send an API token as "Authorization: Bearer <token>"');
    }
    const match = /^Bearer\s+(\S{1,200})$/i.exec(header);
    if (!match)
      throw this.refuse(req, surface, 'malformed', 'send an API token as "Authorization: Bearer <token>"');
    const token = this.tokens.verify(match[1]!);
    if (!token) throw this.refuse(req, surface, 'unknown', 'the API token is unknown or revoked');
    return token;
  }

  private refuse(req: IncomingMessage, surface: Surface, reason: Reason, message: string): HyperionError {
    this.refused.inc({ surface, reason });
    this.unlogged += 1;
    const at = this.now();
    if (at - this.lastLog >= LOG_INTERVAL_MS) {
      this.log.warn(
        { count: this.unlogged, lastFrom: req.socket?.remoteAddress ?? null, surface, reason },
        'refused requests without a valid token (counted in hyperion_unauthenticated_requests_total)',
      );
      this.lastLog = at;
      this.unlogged = 0;
    }
    return new HyperionError('unauthenticated', message);
  }
}
