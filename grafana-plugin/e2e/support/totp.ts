/**
 * RFC 6238 one-time codes (SHA-1, 6 digits, 30 s), written here from the RFC so the browser
 * tests check the exporter's second factor against an independent implementation.
 *
 * The exporter accepts a code once, and afterwards only codes of a later time step, within one
 * step of its clock: so an authenticator hands out the steps now−1, now, now+1 in turn and then
 * waits for the clock.
 */
import { createHmac } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const STEP_SECONDS = 30;
/** How long a code handed out must stay valid. */
const EXPIRY_MARGIN_MS = 8000;

export function base32Decode(text: string): Buffer {
  const clean = text.replace(/=+$/, '').replace(/\s/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of clean) {
    const index = BASE32.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${char}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 4226 HOTP of one counter value. */
export function hotp(secret: Buffer, counter: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', secret).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(code).padStart(6, '0');
}

export function currentStep(now = Date.now()): number {
  return Math.floor(now / 1000 / STEP_SECONDS);
}

export class Authenticator {
  private last: number | undefined;
  private readonly key: Buffer;

  constructor(readonly secret: string) {
    this.key = base32Decode(secret);
  }

  /** The next unused code the exporter will accept, waiting (at most ~60 s) for the clock if needed. */
  async next(): Promise<string> {
    const deadline = Date.now() + 75_000;
    for (;;) {
      const now = currentStep();
      // now−1 only while it stays valid for a few more seconds: a loaded machine may take that
      // long to deliver the request.
      const earliest = currentStep(Date.now() + EXPIRY_MARGIN_MS) - 1;
      const step = Math.max(this.last === undefined ? earliest : this.last + 1, earliest);
      if (step <= now + 1) {
        this.last = step;
        return hotp(this.key, step);
      }
      if (Date.now() > deadline) throw new Error('no fresh TOTP step within 75 s');
      await delay(500);
    }
  }

  /** A six-digit code that is wrong for every step the exporter would accept now. */
  wrong(): string {
    const now = currentStep();
    const valid = new Set([-1, 0, 1, 2].map((d) => hotp(this.key, now + d)));
    for (let n = 0; n < 1_000_000; n += 1) {
      const candidate = String((n * 7919 + 123_457) % 1_000_000).padStart(6, '0');
      if (!valid.has(candidate)) return candidate;
    }
    throw new Error('unreachable');
  }
}
