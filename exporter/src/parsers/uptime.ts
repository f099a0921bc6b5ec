/** /proc/uptime: "12345.67 23456.78" — seconds since boot, and idle seconds summed over CPUs. */
import { fields, toNumber } from './skip.js';

export interface Uptime {
  uptimeSeconds: number;
  idleSeconds: number;
}

export function parseUptime(text: string): Uptime {
  const [up, idle] = fields(text);
  const out = { uptimeSeconds: toNumber(up), idleSeconds: toNumber(idle) };
  if (Number.isNaN(out.uptimeSeconds) || out.uptimeSeconds < 0) {
    throw new Error(`malformed /proc/uptime: ${JSON.stringify(text.slice(0, 80))}`);
  }
  return out;
}
