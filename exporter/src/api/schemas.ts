/** Schemas shared by many routes, so a host name or a page size means the same everywhere. */
import { z } from 'zod';

export const hostName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'host names are 1–63 letters, digits, ".", "_" or "-"')
  .describe('Inventory name of the host; "local" is the exporter’s own');

export const hostParams = z.object({ host: hostName }).strict();

/** Query-string paging: numbers arrive as text, hence the coercion. */
export const paging = {
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
};

export const otpCode = z.string().regex(/^\d{6}$/, 'a one-time code is 6 digits');
