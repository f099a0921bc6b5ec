/**
 * /proc/sys/fs/file-nr: "allocated  unused  maximum" file handles, tab-separated
 * (Documentation/admin-guide/sysctl/fs.rst). Since Linux 2.6 `unused` is always 0: freed
 * handles go back to the allocator instead of a free list.
 */
import { fields, toNumber } from './skip.js';

export interface FileNr {
  allocated: number;
  unused: number;
  /** fs.file-max. systemd sets it to LONG_MAX, which a double rounds up to 2^63. */
  maximum: number;
}

export function parseFileNr(text: string): FileNr {
  const [allocated, unused, maximum] = fields(text).map(toNumber);
  if ([allocated, unused, maximum].some((n) => n === undefined || Number.isNaN(n))) {
    throw new Error(`malformed /proc/sys/fs/file-nr: ${JSON.stringify(text.slice(0, 80))}`);
  }
  return { allocated: allocated!, unused: unused!, maximum: maximum! };
}
