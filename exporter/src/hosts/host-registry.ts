/**
 * Every host the exporter acts on, by name, and everything kept per host: the connection (the
 * Host itself), its managers, its firewall manager — whatever is attached to it. One owner, so
 * they are made and ended together: a host that is removed, or changed (another address, user,
 * key…), disposes of its connection and of everything attached to it at once, and the next use
 * builds them anew on the new connection. Metrics derived from what is attached (the firewall's
 * blocks per host) disappear with it; `onRemoved` tells the owners of other per-host series.
 *
 * An inventory host whose key awaits approval is a state here (`pending`, with the reason), not
 * a Host: asking for it answers 409 with what the admin must do.
 */
import { HyperionError } from '../util/errors.js';
import type { Host } from './host.js';

export const LOCAL_HOST = 'local';

export interface HostSummary {
  name: string;
  kind: 'local' | 'ssh';
}

/** What may be attached to a host, and ended with it. */
interface Disposable {
  dispose?(): void;
  close?(): void;
}

type Entry =
  | { state: 'ready'; kind: HostSummary['kind']; host: Host; attached: Map<string, unknown> }
  | { state: 'pending'; reason: string };

export class HostRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly removedListeners = new Set<(name: string) => void>();

  constructor(local: Host) {
    this.entries.set(LOCAL_HOST, { state: 'ready', kind: 'local', host: local, attached: new Map() });
  }

  /** The usable host: 404 for an unknown name, 409 for one awaiting approval. */
  get(name: string): Host {
    const entry = this.entries.get(name);
    if (!entry) throw new HyperionError('not-found', `unknown host "${name}"`, { field: 'params/host' });
    if (entry.state === 'pending') throw new HyperionError('conflict', entry.reason);
    return entry.host;
  }

  /** The usable host of that name, if there is one (no error). */
  find(name: string): Host | undefined {
    const entry = this.entries.get(name);
    return entry?.state === 'ready' ? entry.host : undefined;
  }

  local(): Host {
    return this.get(LOCAL_HOST);
  }

  /** The usable hosts. */
  list(): HostSummary[] {
    return [...this.entries].flatMap(([name, e]) => (e.state === 'ready' ? [{ name, kind: e.kind }] : []));
  }

  hosts(): Host[] {
    return [...this.entries.values()].flatMap((e) => (e.state === 'ready' ? [e.host] : []));
  }

  /** An SSH host ready for use; whatever the name had before (another connection) is disposed. */
  setReady(host: Host): void {
    this.end(host.name);
    this.entries.set(host.name, { state: 'ready', kind: 'ssh', host, attached: new Map() });
  }

  /** A host that cannot be used yet, and why; whatever the name had before is disposed. */
  setPending(name: string, reason: string): void {
    this.end(name);
    this.entries.set(name, { state: 'pending', reason });
  }

  /** A host gone from the inventory: it and everything attached to it are disposed. */
  remove(name: string): void {
    if (name === LOCAL_HOST || !this.entries.has(name)) return;
    this.end(name);
    this.entries.delete(name);
    for (const listener of this.removedListeners) listener(name);
  }

  /** Called with the name of each removed host, to drop series labelled with it. */
  onRemoved(listener: (name: string) => void): void {
    this.removedListeners.add(listener);
  }

  /**
   * The thing of this kind kept for this host (a manager), made on first use. Only for the host
   * the registry holds under that name now: a request that started before the host was changed
   * or removed gets a 503, never a manager of a connection that is closed.
   */
  attached<T>(host: Host, kind: string, create: (host: Host) => T): T {
    const entry = this.entries.get(host.name);
    if (entry?.state !== 'ready' || entry.host !== host)
      throw new HyperionError('unavailable', `host ${host.name} was changed or removed meanwhile; try again`);
    if (!entry.attached.has(kind)) entry.attached.set(kind, create(host));
    return entry.attached.get(kind) as T;
  }

  /** Each usable host's thing of this kind, where one was made (for metrics). */
  allAttached<T>(kind: string): [string, T][] {
    return [...this.entries].flatMap(([name, e]) =>
      e.state === 'ready' && e.attached.has(kind) ? [[name, e.attached.get(kind) as T]] : [],
    );
  }

  /**
   * Drops the things of one kind on every host (a reloaded configuration changed what they are
   * made from): each is made anew on its next use.
   */
  detachAll(kind: string): void {
    for (const entry of this.entries.values()) {
      if (entry.state !== 'ready') continue;
      const thing = entry.attached.get(kind);
      if (thing === undefined) continue;
      entry.attached.delete(kind);
      dispose(thing);
    }
  }

  /** Ends every host but this machine (shutdown). */
  close(): void {
    for (const name of [...this.entries.keys()]) if (name !== LOCAL_HOST) this.end(name);
  }

  private end(name: string): void {
    const entry = this.entries.get(name);
    if (entry?.state !== 'ready' || name === LOCAL_HOST) return;
    for (const thing of entry.attached.values()) dispose(thing);
    entry.attached.clear();
    dispose(entry.host);
  }
}

function dispose(thing: unknown): void {
  const d = thing as Disposable | null;
  if (typeof d?.dispose === 'function') d.dispose();
  else if (typeof d?.close === 'function') d.close();
}
