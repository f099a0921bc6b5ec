/**
 * Service names as the API accepts them. The names end up as arguments of systemctl, service
 * and update-rc.d, and `service` and `update-rc.d` do not understand "--", so the name itself
 * must be unable to look like an option or reach anything but a service: it starts with a letter,
 * digit or "_" (never "-" or "."), and holds only letters, digits and ":_.@-" — no "/", no
 * whitespace, no shell or escape characters — and never "..". That is systemd's unit-name
 * alphabet (systemd.unit(5)) minus "\", which only appears in escaped device paths.
 */
import { HyperionError } from '../../util/errors.js';

/** Also bounds the length (systemd's limit is 255 characters), so a pattern alone decides. */
export const SERVICE_NAME_PATTERN = '^(?!.*\\.\\.)[A-Za-z0-9_][A-Za-z0-9:_.@-]{0,254}$';
const NAME = new RegExp(SERVICE_NAME_PATTERN);

export const SERVICE_NAME_RULE =
  'a service name starts with a letter, digit or "_", holds only letters, digits and ":_.@-" ' +
  '(no "/", spaces, shell characters or "..") and has at most 255 characters';

export function isServiceName(name: string): boolean {
  return NAME.test(name);
}

/** Checked again below the API edge: a name reaching a command line unchecked is the risk here. */
export function assertServiceName(name: string): void {
  if (!isServiceName(name))
    throw new HyperionError('bad-request', `${JSON.stringify(name)}: ${SERVICE_NAME_RULE}`);
}

/** "ssh.service" and "ssh" name the same service; comparisons use the bare form. */
export function bareName(name: string): string {
  return name.endsWith('.service') ? name.slice(0, -'.service'.length) : name;
}

export function sameService(a: string, b: string): boolean {
  return bareName(a) === bareName(b);
}
