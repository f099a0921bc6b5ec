import path from 'node:path';

/** Join a host-relative absolute path under one of the host's mount prefixes (/proc, /sys, rootfs). */
export function under(prefix: string, ...parts: string[]): string {
  return path.posix.join(prefix, ...parts);
}
