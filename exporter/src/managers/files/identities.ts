/**
 * Owner and group names for file listings, from the host's own /etc/passwd and /etc/group
 * (a remote host's users are not ours). Read at most every few seconds: a listing of 10 000
 * entries must not read them 10 000 times, and a user added a moment ago shows soon enough.
 */
import type { Host } from '../../hosts/host.js';
import { parseGroup } from '../../parsers/group.js';
import { parsePasswd } from '../../parsers/passwd.js';
import { under } from '../../util/paths.js';

export interface Identities {
  users: Map<number, string>;
  groups: Map<number, string>;
}

const TTL_MS = 5000;

export class IdentityCache {
  private cached: { at: number; value: Promise<Identities> } | undefined;

  constructor(private readonly host: Host) {}

  get(now = Date.now()): Promise<Identities> {
    if (!this.cached || now - this.cached.at > TTL_MS) {
      this.cached = { at: now, value: this.read() };
    }
    return this.cached.value;
  }

  private async read(): Promise<Identities> {
    const rootfs = this.host.paths.rootfs;
    const passwd = under(rootfs, 'etc/passwd');
    const group = under(rootfs, 'etc/group');
    const files = await this.host.readFiles([passwd, group]);
    const p = files.get(passwd);
    const g = files.get(group);
    // A host without these files still lists its files, with numeric ids.
    return {
      users: p?.ok ? parsePasswd(p.text) : new Map(),
      groups: g?.ok ? parseGroup(g.text) : new Map(),
    };
  }
}
