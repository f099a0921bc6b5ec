/**
 * Re-reads the web configuration when it changes — the file itself or a file it names (a
 * renewed certificate, a new client CA) — so new users and certificates apply without a
 * restart, as exporter-toolkit's do. Unlike exporter-toolkit, which reads the file again on
 * every request and answers 500 while it is broken, a new version that does not validate is
 * logged and the running configuration stays in force.
 *
 * Changes are seen by polling the files' metadata (inode, size, times): it follows every way a
 * file gets replaced — written in place, renamed over, a symlink swapped as Kubernetes does
 * for mounted secrets — which inotify on the file alone would miss, and a few stat calls a
 * second cost nothing. A certificate and its key written one after the other may be caught
 * half-way: that read fails, and the next change (the key written) is read again.
 */
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { loadWebConfig, type WebConfig } from './web-config.js';

export interface WatcherOptions {
  log: Logger;
  /** Applies a new configuration; throws when it cannot (the old one then stays). */
  apply(config: WebConfig): void;
  /** Told whether each read of a changed file (or an explicit reload) gave a configuration in force. */
  onResult?(ok: boolean): void;
  intervalMs?: number;
}

async function signature(files: readonly string[]): Promise<string> {
  const parts = await Promise.all(
    files.map((f) =>
      stat(f).then(
        (s) => `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`,
        (error: NodeJS.ErrnoException) => error.code ?? 'error',
      ),
    ),
  );
  return parts.join('|');
}

export class WebConfigWatcher {
  private timer: NodeJS.Timeout | undefined;
  /** The files of the configuration in force, and how they looked when it was read. */
  private files: readonly string[];
  private seen = '';
  /** The last read of the file failed: an explicit reload reads it again even if unchanged. */
  private broken = false;
  /** Reads run one after the other (the poll and a reload may ask at the same time). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly file: string,
    current: WebConfig,
    private readonly options: WatcherOptions,
  ) {
    this.files = current.files;
  }

  async start(): Promise<void> {
    this.seen = await signature(this.files);
    let polling = false;
    this.timer = setInterval(() => {
      if (polling) return; // a slow read is not queued again every second
      polling = true;
      void this.check().finally(() => (polling = false));
    }, this.options.intervalMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Reads the configuration again if any of its files changed (or always, when `force`): true
   * when a new configuration was applied, false when nothing changed or the new one was refused
   * (which is logged).
   */
  async check(force = false): Promise<boolean> {
    try {
      return (await this.read(force)) === 'reloaded';
    } catch (error) {
      this.options.log.error(
        { file: this.file, err: (error as Error).message },
        'web configuration not reloaded; the previous one stays in force',
      );
      return false;
    }
  }

  /**
   * An explicit reload (SIGHUP, POST /-/reload): reads the files again when they changed or the
   * last read failed; throws with the reason when the new version is refused.
   */
  reload(): Promise<'reloaded' | 'unchanged'> {
    return this.read(this.broken);
  }

  private read(force: boolean): Promise<'reloaded' | 'unchanged'> {
    const run = this.queue.then(() => this.readNow(force));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async readNow(force: boolean): Promise<'reloaded' | 'unchanged'> {
    const now = await signature(this.files);
    if (!force && now === this.seen) return 'unchanged';
    // Remembered before reading: a broken version is reported once, not at every poll.
    this.seen = now;
    let next: WebConfig;
    try {
      next = loadWebConfig(this.file);
      this.options.apply(next);
    } catch (error) {
      this.broken = true;
      this.options.onResult?.(false);
      throw error;
    }
    this.broken = false;
    this.options.onResult?.(true);
    this.files = next.files;
    this.seen = await signature(this.files);
    this.options.log.info(
      {
        file: this.file,
        tls: next.tls !== undefined,
        users: next.users.size,
        headers: next.headers.length,
      },
      'web configuration reloaded',
    );
    return 'reloaded';
  }
}
