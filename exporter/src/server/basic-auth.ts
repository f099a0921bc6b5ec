/**
 * HTTP basic authentication against the bcrypt hashes of a web configuration
 * (basic_auth_users), as exporter-toolkit does it:
 *
 * - an unknown user is checked against a fixed hash all the same, so the time an answer takes
 *   does not tell which user names exist;
 * - outcomes are cached (user, hash, password → yes/no), so Prometheus' scrape every 15 s costs
 *   one hash lookup, not one bcrypt run (tens of milliseconds of CPU by design);
 * - bcrypt runs one at a time: a burst of guesses waits in line instead of occupying every
 *   thread of the pool that file reads and statfs share. The line is bounded: past it a guess is
 *   answered at once ("busy") and costs nothing.
 *
 * bcrypt runs on libuv's thread pool (the native `bcrypt` package), never on the event loop, so
 * a check in progress does not delay a scrape.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

/** bcrypt (cost 10) of a random string nobody kept: what an unknown user is compared with. */
const DECOY_HASH = '$2b$10$ggtRIEjqYva051kWkixUCOeBFRSUVhalAlS0fvnRhkiJ4ga79mEPW';
/** exporter-toolkit's cache size: room for every scraper's credentials, and then some. */
const CACHE_ENTRIES = 100;
/** Checks waiting for bcrypt beyond this are refused at once. */
const MAX_WAITING = 16;

export type BasicAuthResult =
  { ok: true; user: string } | { ok: false; reason: 'missing' | 'malformed' | 'wrong' | 'busy' };

type Bcrypt = typeof import('bcrypt');
let bcrypt: Bcrypt | undefined;
/** Loaded on first use: an exporter without basic_auth_users never maps the native addon. */
function lib(): Bcrypt {
  bcrypt ??= createRequire(import.meta.url)('bcrypt') as Bcrypt;
  return bcrypt;
}

/** "Basic dXNlcjpwYXNz" → user and password; undefined when it is not basic credentials. */
export function parseBasicCredentials(header: string): { user: string; password: string } | undefined {
  const m = /^basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export class BasicAuthVerifier {
  private readonly cache = new Map<string, boolean>();
  /** The tail of the line of bcrypt runs. */
  private line: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  constructor(private readonly users: ReadonlyMap<string, string>) {}

  get enabled(): boolean {
    return this.users.size > 0;
  }

  /**
   * The outcome for an Authorization header: synchronously when it is known (cached or
   * malformed), as a promise when bcrypt has to run.
   */
  check(header: string | undefined): BasicAuthResult | Promise<BasicAuthResult> {
    if (header === undefined || header === '') return { ok: false, reason: 'missing' };
    const credentials = parseBasicCredentials(header);
    if (!credentials) return { ok: false, reason: 'malformed' };
    const { user, password } = credentials;
    const known = this.users.get(user);
    const hash = known ?? DECOY_HASH;
    // The password enters the key only through a digest: the cache never holds it.
    const key = createHash('sha256')
      .update(user)
      .update('\0')
      .update(hash)
      .update('\0')
      .update(password)
      .digest('base64');
    const cached = this.cache.get(key);
    if (cached !== undefined) return this.result(cached && known !== undefined, user);
    if (this.waiting >= MAX_WAITING) return { ok: false, reason: 'busy' };
    this.waiting++;
    const run = this.line.then(() => lib().compare(password, hash));
    this.line = run.catch(() => undefined);
    return run
      .then(
        (match) => {
          this.remember(key, match);
          return this.result(match && known !== undefined, user);
        },
        () => this.result(false, user),
      )
      .finally(() => this.waiting--);
  }

  private result(ok: boolean, user: string): BasicAuthResult {
    return ok ? { ok: true, user } : { ok: false, reason: 'wrong' };
  }

  private remember(key: string, match: boolean): void {
    if (this.cache.size >= CACHE_ENTRIES) {
      // The oldest entry (a Map iterates in insertion order).
      this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(key, match);
  }
}
