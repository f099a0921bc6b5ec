/**
 * Host key pinning. Adding a host fetches the key its SSH server presents (without logging in)
 * and shows its fingerprint, in OpenSSH's own "SHA256:…" form, so an admin can compare it with
 * `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the host before approving it. Every
 * later connection accepts exactly that key and nothing else.
 */
import { createHash } from 'node:crypto';
import { HyperionError, errorMessage } from '../../util/errors.js';
import { loadSsh2 } from './load-ssh2.js';

export interface HostKey {
  /** The key's algorithm as the server names it, e.g. "ssh-ed25519". */
  type: string;
  /** The public key blob (RFC 4253 §6.6), base64. */
  key: string;
  /** "SHA256:" and the unpadded base64 SHA-256 of the blob, as ssh-keygen -l prints it. */
  fingerprint: string;
}

export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The algorithm name at the start of a key blob: a uint32 length and that many bytes. */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || 4 + length > blob.length) return 'unknown';
  return blob.toString('latin1', 4, 4 + length);
}

export function hostKeyOf(blob: Buffer): HostKey {
  return { type: keyTypeOf(blob), key: blob.toString('base64'), fingerprint: fingerprintOf(blob) };
}

/**
 * The host key algorithms to offer so the server presents the pinned key again: a server with
 * several keys (ed25519, ecdsa, rsa) answers with the first algorithm of the client's list it
 * has, so offering only the pinned key's family makes the choice deterministic.
 */
export function hostKeyAlgorithms(type: string): string[] {
  if (type === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [type];
}

export interface FetchOptions {
  address: string;
  port: number;
  timeoutMs: number;
}

/**
 * Connects far enough to receive the server's host key, then refuses it, so nothing is
 * authenticated or run. Rejects with `unavailable` when the server cannot be reached.
 */
export async function fetchHostKey(options: FetchOptions): Promise<HostKey> {
  const { Client } = await loadSsh2();
  return new Promise((resolve, reject) => {
    const client = new Client();
    let seen: HostKey | undefined;
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.end();
      if (seen) resolve(seen);
      else
        reject(
          error ??
            new HyperionError('unavailable', `no host key received from ${options.address}:${options.port}`),
        );
    };
    const timer = setTimeout(
      () =>
        finish(
          new HyperionError(
            'unavailable',
            `no SSH server answered at ${options.address}:${options.port} within ${options.timeoutMs} ms`,
          ),
        ),
      options.timeoutMs,
    );
    client.on('error', (error) => {
      if (seen) finish();
      else
        finish(
          new HyperionError(
            'unavailable',
            `cannot fetch the host key of ${options.address}:${options.port}: ${errorMessage(error)}`,
          ),
        );
    });
    client.on('close', () => finish());
    client.connect({
      host: options.address,
      port: options.port,
      username: 'hyperion-host-key-check',
      readyTimeout: options.timeoutMs,
      hostVerifier: (blob: Buffer) => {
        seen = hostKeyOf(blob);
        return false; // seen is all we wanted: end here, before any authentication
      },
    });
  });
}
