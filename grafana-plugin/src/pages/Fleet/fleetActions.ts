/**
 * Acting on many targets across hosts: which hosts a filter picks, and running one action on
 * each target in turn, keeping the outcome of each. Every target is its own request with the
 * client's usual second-factor handling: the exporter asks for a code when it needs one and not
 * when it does not — no code is kept here to be replayed.
 */
import type { HostEntry } from '../../api/types';
import { toApiError } from '../../api/errors';

/**
 * Hosts a filter picks: empty → all; "key=value" → hosts with that label; anything else → hosts
 * whose name contains it. Only hosts the exporter can act on (local, or approved SSH hosts).
 */
export function pickHosts(hosts: readonly HostEntry[], filter: string): HostEntry[] {
  const usable = hosts.filter((h) => h.kind === 'local' || h.approved === true);
  const f = filter.trim();
  if (f === '') return usable;
  const label = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(f);
  if (label) return usable.filter((h) => (h.labels ?? {})[label[1]!] === label[2]);
  return usable.filter((h) => h.name.toLowerCase().includes(f.toLowerCase()));
}

export interface TargetOutcome {
  target: string;
  ok: boolean;
  /** What happened, in the exporter's words. */
  message: string;
}

/**
 * Runs `act` on each target in order. A cancelled code prompt stops the run: what was not
 * attempted is reported as such, nothing is tried behind the user's back.
 */
export async function runOnEach<T>(
  targets: readonly T[],
  describe: (target: T) => string,
  act: (target: T) => Promise<string>,
  onProgress?: (outcomes: TargetOutcome[]) => void,
): Promise<TargetOutcome[]> {
  const outcomes: TargetOutcome[] = [];
  for (const [i, target] of targets.entries()) {
    try {
      outcomes.push({ target: describe(target), ok: true, message: await act(target) });
    } catch (error) {
      const e = toApiError(error);
      if (e.kind === 'cancelled') {
        for (const rest of targets.slice(i))
          outcomes.push({
            target: describe(rest),
            ok: false,
            message: 'not attempted: the code prompt was cancelled',
          });
        onProgress?.([...outcomes]);
        break;
      }
      outcomes.push({ target: describe(target), ok: false, message: e.message });
    }
    onProgress?.([...outcomes]);
  }
  return outcomes;
}
