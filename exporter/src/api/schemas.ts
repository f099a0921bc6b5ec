/** Schemas shared by many routes, so a host name or a page size means the same everywhere. */
import { z } from 'zod';
import { secret } from './secret.js';

export const hostName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'host names are 1–63 letters, digits, ".", "_" or "-"')
  .describe('Inventory name of the host; "local" is the exporter’s own');

export const hostParams = z.object({ host: hostName }).strict();

/** A whole number in a query string or path: digits only (Number() would accept "1e3" or "0x10"). */
export function queryInt(min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,9}$/, 'a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

export const paging = {
  offset: queryInt(0, 10_000_000).default(0),
  limit: queryInt(1, 10_000).default(100),
};

export const otpCode = secret(z.string().regex(/^\d{6}$/, 'a one-time code is 6 digits'));
