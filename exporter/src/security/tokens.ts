/**
 * API tokens. A token is `hyp_<id>_<secret>`: the id finds the record, the whole string is
 * compared by its SHA-256 hash in constant time. Only hashes are stored (tokens.json, 0600):
 * tokens are 256-bit random strings, so a slow password hash would add nothing but latency.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { DataDir } from '../storage/data-dir.js';
import { HyperionError } from '../util/errors.js';
import { ROLES, type Role } from './roles.js';

const FILE = 'tokens.json';
export const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

const recordSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  /** Requests with this token come through Grafana's plugin proxy: trust its user headers. */
  grafana: z.boolean(),
  hash: z.string(),
  createdAt: z.string(),
});
const fileSchema = z.object({ tokens: z.array(recordSchema) });

export type TokenRecord = z.infer<typeof recordSchema>;
export type TokenInfo = Omit<TokenRecord, 'hash'>;

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export class TokenStore {
  private records: TokenRecord[] = [];
  private loadedMtime = -1;

  constructor(private readonly dir: DataDir) {
    this.reload();
  }

  /** Tokens are also managed by the CLI while the exporter runs: pick up its changes. */
  private reload(): void {
    const mtime = this.dir.mtimeMs(FILE);
    if (mtime === this.loadedMtime) return;
    this.records = this.dir.readJson(FILE, fileSchema, { tokens: [] }).tokens;
    this.loadedMtime = mtime;
  }

  private save(): void {
    this.dir.writeJson(FILE, { tokens: this.records });
    this.loadedMtime = this.dir.mtimeMs(FILE);
  }

  list(): TokenInfo[] {
    this.reload();
    return this.records.map(({ hash: _hash, ...info }) => info);
  }

  create(name: string, role: Role, grafana = false): { token: TokenInfo; secret: string } {
    this.reload();
    if (!TOKEN_NAME.test(name)) {
      throw new HyperionError('bad-request', 'token names are 1–64 letters, digits, ".", "_", "@" or "-"', {
        field: 'name',
      });
    }
    if (this.records.some((r) => r.name === name)) {
      throw new HyperionError('conflict', `a token named "${name}" already exists; revoke it first`);
    }
    const id = randomBytes(6).toString('hex');
    const secret = `hyp_${id}_${randomBytes(32).toString('base64url')}`;
    const record: TokenRecord = {
      id,
      name,
      role,
      grafana,
      hash: sha256(secret).toString('hex'),
      createdAt: new Date().toISOString(),
    };
    this.records.push(record);
    this.save();
    const { hash: _hash, ...token } = record;
    return { token, secret };
  }

  revoke(nameOrId: string): TokenInfo {
    this.reload();
    const index = this.records.findIndex((r) => r.name === nameOrId || r.id === nameOrId);
    if (index < 0) throw new HyperionError('not-found', `no token named "${nameOrId}"`);
    const [removed] = this.records.splice(index, 1);
    this.save();
    const { hash: _hash, ...info } = removed!;
    return info;
  }

  /** The token's record, or undefined for anything that is not a live token. */
  verify(secret: string): TokenRecord | undefined {
    const match = /^hyp_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/.exec(secret);
    if (!match) return undefined;
    this.reload();
    const record = this.records.find((r) => r.id === match[1]);
    if (!record) return undefined;
    return timingSafeEqual(sha256(secret), Buffer.from(record.hash, 'hex')) ? record : undefined;
  }

  isEmpty(): boolean {
    this.reload();
    return this.records.length === 0;
  }
}
