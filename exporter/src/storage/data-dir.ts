/**
 * The exporter's own state (tokens, TOTP secrets, audit log, later jobs and hosts) lives in one
 * data directory. This is the one module that reads and writes it: JSON documents are replaced
 * atomically (write-file-atomic: temp file, fsync, rename) so a crash never leaves half a file,
 * and append-only logs are fsynced line by line.
 */
import fs from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { z } from 'zod';

export class DataDir {
  /**
   * Root writing into the data directory of an exporter that runs as its own user (the CLI's
   * `token create` on a server): what it writes is given to that user, or the exporter could
   * not read its own tokens.
   */
  private options(): { mode: number; fsync: boolean; chown?: { uid: number; gid: number } } {
    // Asked at each write: the exporter may have taken the directory over since this opened it.
    const st = process.getuid?.() === 0 ? fs.statSync(this.root) : undefined;
    return {
      mode: 0o600,
      fsync: true,
      ...(st && st.uid !== 0 ? { chown: { uid: st.uid, gid: st.gid } } : {}),
    };
  }

  constructor(readonly root: string) {
    fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  }

  path(name: string): string {
    return path.join(this.root, name);
  }

  /** Reads a JSON document, validated by `schema`; `fallback` when the file does not exist. */
  readJson<T>(name: string, schema: z.ZodType<T>, fallback: T): T {
    let text: string;
    try {
      text = fs.readFileSync(this.path(name), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
      throw error;
    }
    return schema.parse(JSON.parse(text));
  }

  /** Replaces a JSON document atomically; 0600 because these files hold secrets or hashes. */
  writeJson(name: string, value: unknown): void {
    writeFileAtomic.sync(this.path(name), `${JSON.stringify(value, null, 2)}\n`, this.options());
  }

  /** Writes a secret the operator must pick up (e.g. the first admin token), readable by the owner only. */
  writeSecret(name: string, text: string): string {
    const file = this.path(name);
    writeFileAtomic.sync(file, text, this.options());
    return file;
  }

  /** Replaces a text file atomically (0600): e.g. an append-only log rewritten to its retained tail. */
  writeText(name: string, text: string): void {
    writeFileAtomic.sync(this.path(name), text, this.options());
  }

  /** Removes a file; nothing happens when it does not exist. */
  remove(name: string): void {
    fs.rmSync(this.path(name), { force: true });
  }

  /** Modification time of a document in ms, or 0 when it does not exist: cheap change detection. */
  mtimeMs(name: string): number {
    // Called on every scrape (firewall metrics): a missing file must not cost a thrown error.
    try {
      return fs.statSync(this.path(name), { throwIfNoEntry: false })?.mtimeMs ?? 0;
    } catch {
      return 0; // e.g. EACCES: as good as absent for change detection
    }
  }

  /**
   * Which version of a document is on disk: documents are replaced by a rename, so a new
   * version is a new inode even when it lands within the same millisecond as the last one.
   * "" when it does not exist.
   */
  version(name: string): string {
    try {
      const s = fs.statSync(this.path(name), { throwIfNoEntry: false });
      return s ? `${s.ino}:${s.mtimeMs}:${s.size}` : '';
    } catch {
      return '';
    }
  }

  openLog(name: string): AppendLog {
    return new AppendLog(this.path(name));
  }
}

/** An append-only JSON Lines file whose every line is on disk before append() returns. */
export class AppendLog {
  private readonly fd: number;

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'a', 0o600);
  }

  append(record: unknown): void {
    // One write per line: O_APPEND makes each write land whole at the end, even when another
    // process (the CLI) appends at the same time; fdatasync puts it on disk before we answer.
    fs.writeSync(this.fd, `${JSON.stringify(record)}\n`);
    fs.fdatasyncSync(this.fd);
  }

  /** Reads every complete line; a torn last line (after a crash) is ignored. */
  readAll(): unknown[] {
    const text = fs.readFileSync(this.file, 'utf8');
    const out: unknown[] = [];
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        // only a crash in the middle of a write produces this, and only on the last line
      }
    }
    return out;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
