/**
 * /proc/mounts (fstab format): "device mountpoint fstype options 0 0". Spaces, tabs, newlines
 * and backslashes in the first two fields are octal-escaped by the kernel ("\040").
 */
import { ignoreSkipped, type SkipReporter } from './skip.js';

export interface Mount {
  device: string;
  mountpoint: string;
  fstype: string;
  options: string[];
}

export function unescapeOctal(value: string): string {
  return value.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMounts(text: string, skipped: SkipReporter = ignoreSkipped): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const parts = line.split(' ');
    if (parts.length < 4 || parts.slice(0, 4).some((p) => p === '')) {
      skipped(line, 'malformed mount line');
      continue;
    }
    out.push({
      device: unescapeOctal(parts[0]!),
      mountpoint: unescapeOctal(parts[1]!),
      fstype: parts[2]!,
      options: parts[3]!.split(','),
    });
  }
  return out;
}
