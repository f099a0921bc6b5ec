/**
 * The second factor (TOTP, RFC 6238, via otplib), as the API uses it:
 *
 *  - Enrolment needs an admin's consent: a single-use, short-lived enrolment code issued for
 *    that actor (in the app, or with the CLI on the exporter's host). Only the very first admin
 *    of a new installation enrols without one. So a Grafana token's holder who writes a new
 *    identity into Grafana's headers gets an actor that can neither act nor enrol.
 *  - Confirming the enrolment hands out single-use recovery codes (stored hashed) that stand in
 *    for a TOTP code when the phone is lost.
 *  - A code is accepted once: only a code of a later time step than the last accepted one.
 *  - After a valid code the actor is elevated on that token for `elevationSeconds`: no code is
 *    asked again in that window (every action is still audited with the elevation it used).
 *  - Wrong codes lock the actor out: 5 within 5 minutes lock it for 5 minutes, each further
 *    lockout within a day twice as long (at most a day). The history is persisted, so a restart
 *    clears nothing; failures and lockouts are counted in metrics that an alert rule watches.
 */
import { randomBytes } from 'node:crypto';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { OtpPolicy } from '../config/schema.js';
import type { DataDir } from '../storage/data-dir.js';
import { HyperionError } from '../util/errors.js';
import { ACTOR_KEY, type Actor } from './actor.js';
import { hasRole } from './roles.js';
import { Elevations, type ElevationView } from './elevation.js';
import {
  OtpStore,
  hashCode,
  sameHash,
  type ActorEntry,
  type LockoutEntry,
  type OtpState,
} from './otp-store.js';

/**
 * otplib and qrcode are loaded on first use (the module system caches them): together they add
 * ~18 MiB of memory that an exporter which is only ever scraped never needs.
 */
const otplib = () => import('otplib');
const qrcode = () => import('qrcode');

/** RFC 6238's time step, otplib's default: a new code every 30 s. */
const STEP_SECONDS = 30;
/** Accept the previous and next 30 s step too: phones and servers drift. */
const TOLERANCE_SECONDS = 30;
const MAX_FAILURES = 5;
const FAILURE_WINDOW_MS = 5 * 60_000;
const FIRST_LOCKOUT_MS = 5 * 60_000;
const MAX_LOCKOUT_MS = 24 * 3600_000;
/** Lockouts within this long make the next one longer. */
const LOCKOUT_MEMORY_MS = 24 * 3600_000;
const RECOVERY_CODES = 10;
/** Outstanding enrolment codes at most (issuing a new one for an actor replaces its old one). */
const MAX_ENROLMENT_CODES = 200;
/** Actors who asked to enrol without a code, shown to admins; in memory, bounded. */
const MAX_WAITING = 100;

export const TOTP_CODE = /^\d{6}$/;
/** Recovery codes: two groups of 5 base32 letters (50 bits). */
export const RECOVERY_CODE = /^[a-z2-7]{5}-[a-z2-7]{5}$/i;
/** Enrolment codes: four groups of 4 base32 letters (80 bits). */
export const ENROLMENT_CODE = /^[A-Z2-7]{4}(?:-[A-Z2-7]{4}){3}$/i;

export interface SecondFactorSettings {
  policy: OtpPolicy;
  issuer: string;
  /** How long a valid code elevates the actor on its token; 0: one code per action. */
  elevationSeconds: number;
  /** How long an issued enrolment code may be used. */
  enrolmentCodeTtlSeconds: number;
}

export type FactorMethod = 'totp' | 'recovery' | 'elevation';

/** What an action's audit record says about its second factor. */
export interface FactorUse {
  method: FactorMethod;
  /** The end of the elevation the action ran in (or opened). */
  elevatedUntil: string | null;
}

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
  recoveryCodesLeft: number;
  /** Whether enrolling needs a code from an admin (false only for the first admin). */
  enrolmentCodeRequired: boolean;
}

export interface IssuedEnrolmentCode {
  code: string;
  actor: string;
  name: string;
  expiresAt: string;
}

export interface ActorSummary {
  key: string;
  name: string;
  kind: 'token' | 'grafana';
  /** enrolled: confirmed. pending: started, not confirmed. waiting: asked to enrol without a code. */
  state: 'enrolled' | 'pending' | 'waiting';
  enrolledAt: string | null;
  recoveryCodesLeft: number;
  lockedUntil: string | null;
  /** An outstanding enrolment code's expiry. */
  enrolmentCodeExpiresAt: string | null;
}

function base32(bytes: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

function newRecoveryCode(): string {
  const text = base32(randomBytes(7)).slice(0, 10).toLowerCase();
  return `${text.slice(0, 5)}-${text.slice(5)}`;
}

function newEnrolmentCode(): string {
  return base32(randomBytes(10)).match(/.{4}/g)!.join('-');
}

export class SecondFactor {
  private readonly store: OtpStore;
  private readonly elevations: Elevations;
  private readonly waiting = new Map<string, { name: string; at: number }>();
  private readonly failures: Counter<'reason'>;
  private readonly lockouts: Counter;

  constructor(
    dir: DataDir,
    readonly settings: SecondFactorSettings,
    metrics: Registry,
    private readonly now: () => number = Date.now,
  ) {
    this.store = new OtpStore(dir);
    this.elevations = new Elevations(settings.elevationSeconds, now);
    this.failures = new Counter({
      name: 'hyperion_otp_failures_total',
      help: 'Refused second-factor attempts by reason: wrong (a wrong code), replayed (a code already used), enrolment_code (a wrong enrolment code), locked (an attempt during a lockout).',
      labelNames: ['reason'],
      registers: [metrics],
    });
    for (const reason of ['wrong', 'replayed', 'enrolment_code', 'locked']) this.failures.inc({ reason }, 0);
    this.lockouts = new Counter({
      name: 'hyperion_otp_lockouts_total',
      help: 'Actors locked out for too many wrong one-time codes.',
      registers: [metrics],
    });
    const store = this.store;
    const now_ = now;
    new Gauge({
      name: 'hyperion_otp_locked_actors',
      help: 'Actors locked out of the second factor right now.',
      registers: [metrics],
      collect() {
        const at = now_();
        this.set(Object.values(store.current().lockouts).filter((l) => l.lockedUntil > at).length);
      },
    });
  }

  get policy(): OtpPolicy {
    return this.settings.policy;
  }

  /** Whether this actor's mutating calls need the second factor under the configured policy. */
  required(actor: Actor): boolean {
    if (this.settings.policy === 'disabled') return false;
    if (this.settings.policy === 'required') return true;
    return this.store.current().actors[actor.key]?.confirmed === true;
  }

  status(actor: Actor): OtpStatus {
    const entry = this.store.current().actors[actor.key];
    return {
      policy: this.settings.policy,
      enrolled: entry !== undefined,
      confirmed: entry?.confirmed === true,
      recoveryCodesLeft: entry?.confirmed ? entry.recoveryCodes.length : 0,
      enrolmentCodeRequired: this.enrolmentCodeRequired(actor),
    };
  }

  elevation(actor: Actor): ElevationView | null {
    return this.elevations.view(actor);
  }

  dropElevation(actor: Actor): boolean {
    return this.elevations.drop(actor);
  }

  /**
   * The second factor of a mutating call, once every other check passed. Elevated: nothing is
   * asked. Otherwise the code (TOTP or recovery) is verified and opens an elevation. Throws
   * otp-required (none sent, or nothing enrolled), otp-invalid (wrong or replayed),
   * rate-limited (locked out).
   */
  async verify(actor: Actor, code: string | undefined): Promise<FactorUse> {
    const elevated = this.elevations.until(actor);
    if (elevated !== undefined)
      return { method: 'elevation', elevatedUntil: new Date(elevated).toISOString() };
    const entry = this.store.current().actors[actor.key];
    if (!entry?.confirmed) {
      throw new HyperionError(
        'otp-required',
        this.enrolmentCodeRequired(actor)
          ? `${actor.name} has no second factor yet: ask an admin for an enrolment code, then enrol (POST /api/v1/auth/otp/enrol)`
          : `${actor.name} must enrol a second factor (POST /api/v1/auth/otp/enrol) before acting`,
        { extra: { reason: 'not-enrolled' } },
      );
    }
    if (code === undefined || code === '') {
      throw new HyperionError(
        'otp-required',
        'this action needs a one-time code in the X-Hyperion-OTP header',
        {
          extra: { reason: 'missing-code' },
        },
      );
    }
    const method = await this.check(actor, code, { recovery: true });
    return { method, elevatedUntil: this.elevate(actor) };
  }

  /** Whether enrolling needs an admin's enrolment code: for everyone but a new installation's first admin. */
  enrolmentCodeRequired(actor: Actor): boolean {
    const anyone = Object.values(this.store.current().actors).some((a) => a.confirmed);
    return anyone || !hasRole(actor.role, 'admin');
  }

  async enrol(actor: Actor, enrolmentCode: string | undefined): Promise<Enrolment> {
    if (actor.key.endsWith(':anonymous'))
      throw new HyperionError('conflict', 'an anonymous Grafana user cannot enrol a second factor');
    if (this.store.current().actors[actor.key]?.confirmed) {
      throw new HyperionError(
        'conflict',
        `${actor.name} is already enrolled; an admin can reset the second factor to enrol again`,
      );
    }
    let codeHash: string | undefined;
    if (this.enrolmentCodeRequired(actor)) {
      if (enrolmentCode === undefined) {
        this.noteWaiting(actor);
        throw new HyperionError(
          'otp-required',
          `enrolling a second factor needs an enrolment code: ask an admin to issue one for ${actor.name} (${actor.key})`,
          { extra: { reason: 'enrolment-code', actorKey: actor.key } },
        );
      }
      this.assertNotLocked(actor);
      codeHash = this.findEnrolmentCode(actor, enrolmentCode);
      if (!codeHash) {
        this.recordFailure(actor, 'enrolment_code');
        throw new HyperionError(
          'otp-invalid',
          `the enrolment code is wrong, expired, already used, or issued for someone else than ${actor.name}`,
          { extra: { reason: 'enrolment-code' } },
        );
      }
    }
    const { generateSecret, generateURI } = await otplib();
    const secret = generateSecret();
    this.store.update((state) => {
      state.actors[actor.key] = {
        name: actor.name,
        secret,
        confirmed: false,
        enrolledAt: new Date(this.now()).toISOString(),
        recoveryCodes: [],
        ...(codeHash ? { enrolmentCode: codeHash } : {}),
      };
    });
    const otpauthUri = generateURI({ issuer: this.settings.issuer, label: actor.name, secret });
    const { toDataURL } = await qrcode();
    return { otpauthUri, qrCode: await toDataURL(otpauthUri, { margin: 1, width: 240 }), secret };
  }

  /** Activates a pending enrolment with one valid code; answers the recovery codes, shown once. */
  async confirm(
    actor: Actor,
    code: string,
  ): Promise<{ recoveryCodes: string[]; elevatedUntil: string | null }> {
    const entry = this.store.current().actors[actor.key];
    if (!entry) throw new HyperionError('conflict', `${actor.name} has not started enrolment`);
    if (entry.confirmed) throw new HyperionError('conflict', `${actor.name} is already enrolled`);
    if (entry.enrolmentCode && !this.liveCode(this.store.current(), entry.enrolmentCode, actor.key)) {
      throw new HyperionError(
        'conflict',
        'the enrolment code this enrolment started with has expired or was withdrawn: ask an admin for a new one',
      );
    }
    await this.check(actor, code, { recovery: false });
    const recoveryCodes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
    this.store.update((state) => {
      const current = state.actors[actor.key];
      if (!current) return;
      current.confirmed = true;
      current.name = actor.name;
      current.recoveryCodes = recoveryCodes.map(hashCode);
      if (current.enrolmentCode) {
        const spent = current.enrolmentCode;
        state.enrolmentCodes = state.enrolmentCodes.filter((c) => !sameHash(c.hash, spent));
        delete current.enrolmentCode;
      }
    });
    return { recoveryCodes, elevatedUntil: this.elevate(actor) };
  }

  issueEnrolmentCode(forKey: string, name: string, issuedBy: string): IssuedEnrolmentCode {
    if (!ACTOR_KEY.test(forKey))
      throw new HyperionError('validation', `"${forKey.slice(0, 80)}" is not an actor key`, {
        field: 'body/actor',
      });
    if (forKey.endsWith(':anonymous'))
      throw new HyperionError('conflict', 'an anonymous Grafana user cannot enrol a second factor');
    if (this.store.current().actors[forKey]?.confirmed) {
      throw new HyperionError('conflict', `${forKey} is already enrolled; reset its second factor first`);
    }
    const code = newEnrolmentCode();
    const expiresAt = new Date(this.now() + this.settings.enrolmentCodeTtlSeconds * 1000).toISOString();
    this.store.update((state) => {
      const at = this.now();
      state.enrolmentCodes = state.enrolmentCodes.filter(
        (c) => c.actor !== forKey && Date.parse(c.expiresAt) > at,
      );
      if (state.enrolmentCodes.length >= MAX_ENROLMENT_CODES) {
        throw new HyperionError(
          'conflict',
          `${state.enrolmentCodes.length} enrolment codes are outstanding, the most Hyperion keeps; let some expire first`,
        );
      }
      state.enrolmentCodes.push({
        hash: hashCode(code),
        actor: forKey,
        name,
        issuedBy,
        issuedAt: new Date(at).toISOString(),
        expiresAt,
      });
    });
    this.waiting.delete(forKey);
    return { code, actor: forKey, name, expiresAt };
  }

  /** Removes an actor's second factor, lockout, codes and elevation; false when it had none. */
  reset(key: string): boolean {
    const had = this.store.update((state) => {
      const found =
        key in state.actors || key in state.lockouts || state.enrolmentCodes.some((c) => c.actor === key);
      delete state.actors[key];
      delete state.lockouts[key];
      state.enrolmentCodes = state.enrolmentCodes.filter((c) => c.actor !== key);
      return found;
    });
    this.elevations.dropKey(key);
    return had;
  }

  actors(): ActorSummary[] {
    const state = this.store.current();
    const at = this.now();
    const codeFor = (key: string) =>
      state.enrolmentCodes.find((c) => c.actor === key && Date.parse(c.expiresAt) > at)?.expiresAt ?? null;
    const lockedUntil = (key: string) => {
      const until = state.lockouts[key]?.lockedUntil ?? 0;
      return until > at ? new Date(until).toISOString() : null;
    };
    const kind = (key: string) => (key.startsWith('grafana:') ? 'grafana' : 'token');
    const out: ActorSummary[] = Object.entries(state.actors).map(([key, a]) => ({
      key,
      name: a.name || key,
      kind: kind(key),
      state: a.confirmed ? 'enrolled' : 'pending',
      enrolledAt: a.enrolledAt,
      recoveryCodesLeft: a.confirmed ? a.recoveryCodes.length : 0,
      lockedUntil: lockedUntil(key),
      enrolmentCodeExpiresAt: codeFor(key),
    }));
    const known = new Set(out.map((a) => a.key));
    const extra = new Map<string, string>();
    for (const [key, w] of this.waiting) extra.set(key, w.name);
    for (const c of state.enrolmentCodes) if (!extra.has(c.actor)) extra.set(c.actor, c.name);
    for (const key of Object.keys(state.lockouts)) if (!extra.has(key)) extra.set(key, key);
    for (const [key, name] of extra) {
      if (known.has(key)) continue;
      out.push({
        key,
        name,
        kind: kind(key),
        state: 'waiting',
        enrolledAt: null,
        recoveryCodesLeft: 0,
        lockedUntil: lockedUntil(key),
        enrolmentCodeExpiresAt: codeFor(key),
      });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name) || a.key.localeCompare(b.key));
  }

  // --- internals ---------------------------------------------------------------------------

  private elevate(actor: Actor): string | null {
    const until = this.elevations.open(actor);
    return until === undefined ? null : new Date(until).toISOString();
  }

  private noteWaiting(actor: Actor): void {
    this.waiting.delete(actor.key);
    this.waiting.set(actor.key, { name: actor.name, at: this.now() });
    while (this.waiting.size > MAX_WAITING) this.waiting.delete(this.waiting.keys().next().value!);
  }

  private liveCode(state: OtpState, hash: string, key: string): boolean {
    const at = this.now();
    return state.enrolmentCodes.some(
      (c) => sameHash(c.hash, hash) && c.actor === key && Date.parse(c.expiresAt) > at,
    );
  }

  /** The hash of a live enrolment code issued for this actor, or undefined. */
  private findEnrolmentCode(actor: Actor, code: string): string | undefined {
    if (!ENROLMENT_CODE.test(code.trim())) return undefined;
    const hash = hashCode(code);
    return this.liveCode(this.store.current(), hash, actor.key) ? hash : undefined;
  }

  private assertNotLocked(actor: Actor): void {
    const refusal = this.lockoutRefusal(actor);
    if (refusal) {
      this.failures.inc({ reason: 'locked' });
      throw refusal;
    }
  }

  private lockoutRefusal(actor: Actor): HyperionError | undefined {
    const until = this.store.current().lockouts[actor.key]?.lockedUntil ?? 0;
    const at = this.now();
    if (until <= at) return undefined;
    const seconds = Math.max(1, Math.ceil((until - at) / 1000));
    return new HyperionError('rate-limited', `too many wrong codes; try again in ${seconds} s`, {
      extra: { retryAfterSeconds: seconds, reason: 'locked' },
    });
  }

  /** Counts a wrong code; the one that reaches the limit starts a lockout. */
  private recordFailure(actor: Actor, reason: 'wrong' | 'enrolment_code'): void {
    this.failures.inc({ reason });
    const at = this.now();
    const locked = this.store.update((state) => {
      const entry: LockoutEntry = state.lockouts[actor.key] ?? { failures: [], lockouts: [], lockedUntil: 0 };
      entry.failures = [...entry.failures.filter((t) => t > at - FAILURE_WINDOW_MS), at];
      entry.lockouts = entry.lockouts.filter((t) => t > at - LOCKOUT_MEMORY_MS);
      let lockedNow = false;
      if (entry.failures.length >= MAX_FAILURES) {
        entry.lockedUntil = at + Math.min(MAX_LOCKOUT_MS, FIRST_LOCKOUT_MS * 2 ** entry.lockouts.length);
        entry.lockouts.push(at);
        entry.failures = [];
        lockedNow = true;
      }
      state.lockouts[actor.key] = entry;
      this.pruneLockouts(state, at);
      return lockedNow;
    });
    if (locked) {
      this.lockouts.inc();
      // The code that starts a lockout is answered with the lockout itself, so the person learns
      // now that retrying is pointless (and for how long), not on their next attempt. Counted
      // once, as the wrong code it is.
      const refusal = this.lockoutRefusal(actor);
      if (refusal) throw refusal;
    }
  }

  private pruneLockouts(state: OtpState, at: number): void {
    for (const [key, l] of Object.entries(state.lockouts)) {
      const active =
        l.lockedUntil > at ||
        l.failures.some((t) => t > at - FAILURE_WINDOW_MS) ||
        l.lockouts.some((t) => t > at - LOCKOUT_MEMORY_MS);
      if (!active) delete state.lockouts[key];
    }
  }

  /**
   * Checks a code against the actor's secret (and, where allowed, its recovery codes). A valid
   * code of a step already spent is refused without counting toward the lockout: someone acting
   * twice within one 30 s step is told to wait, not punished.
   */
  private async check(
    actor: Actor,
    code: string,
    options: { recovery: boolean },
  ): Promise<'totp' | 'recovery'> {
    this.assertNotLocked(actor);
    const entry = this.store.current().actors[actor.key];
    if (!entry) throw new HyperionError('conflict', `${actor.name} has no second factor`);
    if (options.recovery && RECOVERY_CODE.test(code)) {
      const hash = hashCode(code);
      const used = this.store.update((state) => {
        const current = state.actors[actor.key];
        const index = current?.recoveryCodes.findIndex((h) => sameHash(h, hash)) ?? -1;
        if (!current || index < 0) return false;
        current.recoveryCodes.splice(index, 1);
        const lockout = state.lockouts[actor.key];
        if (lockout) lockout.failures = [];
        return true;
      });
      if (used) return 'recovery';
      this.recordFailure(actor, 'wrong');
      throw new HyperionError('otp-invalid', 'the recovery code is wrong or was already used', {
        extra: { reason: 'wrong' },
      });
    }
    const step = TOTP_CODE.test(code) ? await this.totpStep(entry, code) : undefined;
    if (step !== undefined && (entry.lastTimeStep === undefined || step > entry.lastTimeStep)) {
      this.store.update((state) => {
        const current = state.actors[actor.key];
        if (current) {
          current.lastTimeStep = step;
          current.name = actor.name;
        }
        if (state.lockouts[actor.key]) state.lockouts[actor.key]!.failures = [];
        this.pruneLockouts(state, this.now());
      });
      return 'totp';
    }
    if (step !== undefined && entry.lastTimeStep !== undefined) {
      this.failures.inc({ reason: 'replayed' });
      const wait = Math.max(1, Math.ceil((entry.lastTimeStep + 1) * STEP_SECONDS - this.now() / 1000));
      throw new HyperionError(
        'otp-invalid',
        `this one-time code was already used (each code works once); the next one comes in about ${wait} s`,
        { extra: { reason: 'replayed', retryAfterSeconds: wait } },
      );
    }
    this.recordFailure(actor, 'wrong');
    throw new HyperionError('otp-invalid', 'the one-time code is wrong or expired', {
      extra: { reason: 'wrong' },
    });
  }

  /** The time step a TOTP code belongs to, or undefined when it matches none in the window. */
  private async totpStep(entry: ActorEntry, code: string): Promise<number | undefined> {
    const { verify } = await otplib();
    const result = await verify({
      secret: entry.secret,
      token: code,
      epochTolerance: TOLERANCE_SECONDS,
      epoch: Math.floor(this.now() / 1000),
    }).catch(() => ({ valid: false as const }));
    // The default strategy is TOTP, whose results carry the matched time step (HOTP's do not).
    return result.valid && 'timeStep' in result ? result.timeStep : undefined;
  }
}
