/**
 * The TOTP second factor (RFC 6238, via otplib). Each actor enrols once: a secret is generated,
 * shown as an otpauth:// URI and QR code, and becomes active when the actor proves one code.
 * A code is accepted once: only a code of a later time step than the last accepted one passes,
 * and 5 wrong codes in 5 minutes lock the actor out for 5 minutes (a spent one is refused
 * without counting: see check()).
 */
import type { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';
import type { OtpPolicy } from '../config/schema.js';
import type { DataDir } from '../storage/data-dir.js';
import { HyperionError } from '../util/errors.js';
import type { Actor } from './actor.js';

/**
 * otplib and qrcode are loaded on first use (the module system caches them): together they add
 * ~18 MiB of memory that an exporter which is only ever scraped never needs.
 */
const otplib = () => import('otplib');
const rateLimiter = () => import('rate-limiter-flexible');
const qrcode = () => import('qrcode');

const FILE = 'otp.json';
const MAX_FAILURES = 5;
const WINDOW_SECONDS = 300;
/** RFC 6238's time step, otplib's default: a new code every 30 s. */
const STEP_SECONDS = 30;
/** Accept the previous and next 30 s step too: phones and servers drift. */
const TOLERANCE_SECONDS = 30;

const entrySchema = z.object({
  secret: z.string(),
  confirmed: z.boolean(),
  lastTimeStep: z.number().optional(),
  enrolledAt: z.string(),
});
const fileSchema = z.object({ actors: z.record(z.string(), entrySchema) });
type Entry = z.infer<typeof entrySchema>;

export interface Enrolment {
  otpauthUri: string;
  /** A PNG data: URL of the QR code of otpauthUri. */
  qrCode: string;
  /** The base32 secret, for typing into an app by hand. */
  secret: string;
}

export interface OtpStatus {
  policy: OtpPolicy;
  enrolled: boolean;
  confirmed: boolean;
}

export class OtpGuard {
  private actors: Record<string, Entry>;
  private failureLimiter: Promise<RateLimiterMemory> | undefined;

  constructor(
    private readonly dir: DataDir,
    readonly policy: OtpPolicy,
    private readonly issuer: string,
  ) {
    this.actors = dir.readJson(FILE, fileSchema, { actors: {} }).actors;
  }

  /** Failed attempts per actor, created on the first code checked (see the imports above). */
  private failures(): Promise<RateLimiterMemory> {
    this.failureLimiter ??= rateLimiter().then(
      ({ RateLimiterMemory }) =>
        new RateLimiterMemory({
          points: MAX_FAILURES,
          duration: WINDOW_SECONDS,
          blockDuration: WINDOW_SECONDS,
        }),
    );
    return this.failureLimiter;
  }

  private save(): void {
    this.dir.writeJson(FILE, { actors: this.actors });
  }

  status(actor: Actor): OtpStatus {
    const entry = this.actors[actor.key];
    return { policy: this.policy, enrolled: entry !== undefined, confirmed: entry?.confirmed === true };
  }

  /** Whether this actor's mutating calls need a code under the configured policy. */
  required(actor: Actor): boolean {
    if (this.policy === 'disabled') return false;
    if (this.policy === 'required') return true;
    return this.actors[actor.key]?.confirmed === true;
  }

  async enrol(actor: Actor): Promise<Enrolment> {
    if (this.actors[actor.key]?.confirmed) {
      throw new HyperionError(
        'conflict',
        `${actor.name} is already enrolled; an admin can reset the second factor to enrol again`,
      );
    }
    const { generateSecret, generateURI } = await otplib();
    const secret = generateSecret();
    this.actors[actor.key] = { secret, confirmed: false, enrolledAt: new Date().toISOString() };
    this.save();
    const otpauthUri = generateURI({ issuer: this.issuer, label: actor.name, secret });
    const { toDataURL } = await qrcode();
    return { otpauthUri, qrCode: await toDataURL(otpauthUri, { margin: 1, width: 240 }), secret };
  }

  /** Activates a pending enrolment with one valid code. */
  async confirm(actor: Actor, code: string): Promise<void> {
    const entry = this.actors[actor.key];
    if (!entry) throw new HyperionError('conflict', `${actor.name} has not started enrolment`);
    if (entry.confirmed) throw new HyperionError('conflict', `${actor.name} is already enrolled`);
    await this.check(actor, entry, code);
    entry.confirmed = true;
    this.save();
  }

  reset(actorKey: string): boolean {
    if (!(actorKey in this.actors)) return false;
    delete this.actors[actorKey];
    this.save();
    return true;
  }

  /**
   * Verifies the code of a mutating call. Throws otp-required when none was sent (or the actor
   * has nothing to check it against), otp-invalid for a wrong or replayed code, rate-limited
   * while locked out. Nothing is consumed when no code was sent.
   */
  async verifyCall(actor: Actor, code: string | undefined): Promise<void> {
    if (!this.required(actor)) return;
    const entry = this.actors[actor.key];
    if (!entry?.confirmed) {
      throw new HyperionError(
        'otp-required',
        `${actor.name} must enrol a second factor (POST /api/v1/auth/otp/enrol) before acting`,
      );
    }
    if (code === undefined || code === '') {
      throw new HyperionError(
        'otp-required',
        'this action needs a one-time code in the X-Hyperion-OTP header',
      );
    }
    await this.check(actor, entry, code);
    this.save();
  }

  private async check(actor: Actor, entry: Entry, code: string): Promise<void> {
    const failures = await this.failures();
    const state = await failures.get(actor.key);
    if (state && state.consumedPoints > MAX_FAILURES) throw locked(state);
    const { verify } = await otplib();
    const result = /^\d{6}$/.test(code)
      ? await verify({ secret: entry.secret, token: code, epochTolerance: TOLERANCE_SECONDS }).catch(() => ({
          valid: false as const,
        }))
      : { valid: false as const };
    // The default strategy is TOTP, whose results carry the matched time step (HOTP's do not).
    const step = result.valid && 'timeStep' in result ? result.timeStep : undefined;
    if (step !== undefined && (entry.lastTimeStep === undefined || step > entry.lastTimeStep)) {
      entry.lastTimeStep = step;
      await failures.delete(actor.key);
      return;
    }
    // A valid code of a step already spent is refused, but it is no guess: it does not count
    // toward the lockout, so someone acting twice within one 30 s step is told to wait.
    if (step !== undefined && entry.lastTimeStep !== undefined) {
      const wait = secondsUntilStepAfter(entry.lastTimeStep);
      throw new HyperionError(
        'otp-invalid',
        `this one-time code was already used (each code works once); the next one comes in about ${wait} s`,
        { extra: { reason: 'replayed', retryAfterSeconds: wait } },
      );
    }
    try {
      await failures.consume(actor.key);
    } catch (rejection) {
      // The limiter rejects with its state object (a RateLimiterRes) once the points are spent.
      if (rejection instanceof (await rateLimiter()).RateLimiterRes) throw locked(rejection);
      throw rejection;
    }
    throw new HyperionError('otp-invalid', 'the one-time code is wrong, expired or was already used');
  }
}

/** Seconds until the time step after `step` begins: when the next code can be accepted. */
function secondsUntilStepAfter(step: number): number {
  return Math.max(1, Math.ceil((step + 1) * STEP_SECONDS - Date.now() / 1000));
}

function locked(state: RateLimiterRes): HyperionError {
  const seconds = Math.max(1, Math.ceil(state.msBeforeNext / 1000));
  return new HyperionError('rate-limited', `too many wrong codes; try again in ${seconds} s`, {
    extra: { retryAfterSeconds: seconds },
  });
}
