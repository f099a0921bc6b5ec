/**
 * The second factor's state, in one document of the data directory (otp.json, 0600): each
 * actor's TOTP secret and the last time step it accepted, the hashes of its recovery codes, the
 * enrolment codes admins issued (hashed), and the wrong-code history that lockouts are decided
 * on — so a restart clears none of it. The CLI changes the same file on the exporter's host
 * while the exporter runs; every operation reloads it first when it changed on disk.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { DataDir } from '../storage/data-dir.js';

export const OTP_FILE = 'otp.json';

const actorSchema = z.object({
  /** The name shown for this actor (a token name or Grafana login), as last seen. */
  name: z.string().default(''),
  secret: z.string(),
  confirmed: z.boolean(),
  lastTimeStep: z.number().optional(),
  enrolledAt: z.string(),
  /** SHA-256 hashes of the unused recovery codes. */
  recoveryCodes: z.array(z.string()).default([]),
  /** The hash of the enrolment code this pending enrolment was started with (spent on confirm). */
  enrolmentCode: z.string().optional(),
});

const enrolmentCodeSchema = z.object({
  hash: z.string(),
  /** The actor key it is for. */
  actor: z.string(),
  /** Who it is for, in words (shown in lists). */
  name: z.string(),
  issuedBy: z.string(),
  issuedAt: z.string(),
  expiresAt: z.string(),
});

const lockoutSchema = z.object({
  /** Times (ms) of the wrong codes within the current window. */
  failures: z.array(z.number()).default([]),
  /** Times (ms) of past lockouts, for lengthening the next one. */
  lockouts: z.array(z.number()).default([]),
  lockedUntil: z.number().default(0),
});

const fileSchema = z.object({
  actors: z.record(z.string(), actorSchema).default({}),
  enrolmentCodes: z.array(enrolmentCodeSchema).default([]),
  lockouts: z.record(z.string(), lockoutSchema).default({}),
});

export type ActorEntry = z.infer<typeof actorSchema>;
export type EnrolmentCodeEntry = z.infer<typeof enrolmentCodeSchema>;
export type LockoutEntry = z.infer<typeof lockoutSchema>;
export type OtpState = z.infer<typeof fileSchema>;

/** Codes handed to people are high-entropy random strings: a fast hash is enough (as for tokens). */
export function hashCode(code: string): string {
  return createHash('sha256').update(code.trim().toLowerCase()).digest('hex');
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

export class OtpStore {
  private state: OtpState;
  private loaded = '-';

  constructor(private readonly dir: DataDir) {
    this.state = this.read();
  }

  private read(): OtpState {
    this.loaded = this.dir.version(OTP_FILE);
    return this.dir.readJson(OTP_FILE, fileSchema, fileSchema.parse({}));
  }

  /** The state as on disk now (reloaded when the file changed, e.g. by the CLI). */
  current(): OtpState {
    if (this.dir.version(OTP_FILE) !== this.loaded) this.state = this.read();
    return this.state;
  }

  /** Changes the state and writes it (atomically, fsynced) before returning. */
  update<T>(change: (state: OtpState) => T): T {
    const state = this.current();
    const result = change(state);
    this.dir.writeJson(OTP_FILE, state);
    this.loaded = this.dir.version(OTP_FILE);
    return result;
  }
}
