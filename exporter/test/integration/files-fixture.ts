/**
 * Shared by the files tests: a real temporary tree, an exporter whose roots point into it, raw
 * HTTP requests (fetch would normalise "..", which is exactly what some tests must send), and
 * snapshots of a tree to prove nothing outside a root was changed.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface RawRequest {
  method: string;
  /** Sent exactly as given: no normalisation, no encoding. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  timeoutMs?: number;
}

/** One HTTP request to 127.0.0.1:port, the path untouched. */
export function rawRequest(port: number, request: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: request.method,
        path: request.path,
        headers: {
          ...(request.body === undefined
            ? {}
            : { 'content-length': String(Buffer.byteLength(request.body)) }),
          ...request.headers,
        },
        timeout: request.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${request.method} ${request.path}: timed out`)));
    req.on('error', reject);
    req.end(request.body);
  });
}

export interface SnapshotEntry {
  type: string;
  size: number;
  mtimeMs: number;
  mode: number;
  /** sha256 of a file, the target of a link. */
  content: string;
}

/** Every path below `dir` with its type, size, mtime, mode and content hash. */
export function snapshot(dir: string): Map<string, SnapshotEntry> {
  const out = new Map<string, SnapshotEntry>();
  const walk = (current: string) => {
    for (const name of readdirSync(current)) {
      const full = path.join(current, name);
      const s = lstatSync(full);
      const type = s.isSymbolicLink() ? 'link' : s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other';
      const content =
        type === 'file'
          ? createHash('sha256').update(readFileSync(full)).digest('hex')
          : type === 'link'
            ? readlinkSync(full)
            : '';
      out.set(path.relative(dir, full), { type, size: s.size, mtimeMs: s.mtimeMs, mode: s.mode, content });
      if (type === 'dir') walk(full);
    }
  };
  walk(dir);
  return out;
}

/** Names left in `dir` by an interrupted upload or copy (there must be none). */
export function leftovers(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((n) => /\.hyperion-(upload|copy)-/.test(n));
}

export function tempTree(prefix: string, base = os.tmpdir()): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(base, prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** YAML for the files block with the given roots (written into hyperion.yml). */
export function filesConfig(
  roots: { name: string; path: string; writable?: boolean; writeRole?: string; readRole?: string }[],
  extra: { uploadLimitBytes?: number; textLimitBytes?: number; otp?: boolean } = {},
): string {
  const lines = [];
  // One code per action where the second factor is on: the tests count the codes they use.
  if (extra.otp !== true) lines.push('security:', '  otp: disabled');
  else lines.push('security:', '  otpElevationSeconds: 0');
  lines.push('files:');
  if (extra.uploadLimitBytes !== undefined) lines.push(`  uploadLimitBytes: ${extra.uploadLimitBytes}`);
  if (extra.textLimitBytes !== undefined) lines.push(`  textLimitBytes: ${extra.textLimitBytes}`);
  lines.push('  roots:');
  for (const r of roots) {
    // Viewers may read unless the test says otherwise (the embedded default is admin).
    lines.push(
      `    - name: ${r.name}`,
      `      path: ${JSON.stringify(r.path)}`,
      `      readRole: ${r.readRole ?? 'viewer'}`,
    );
    if (r.writable !== undefined) lines.push(`      writable: ${r.writable}`);
    if (r.writeRole !== undefined) lines.push(`      writeRole: ${r.writeRole}`);
  }
  return `${lines.join('\n')}\n`;
}
