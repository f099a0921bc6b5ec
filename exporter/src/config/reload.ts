/**
 * Configuration reload, on SIGHUP and on POST /-/reload, as Prometheus and its exporters do it:
 * the configuration file is read and validated again and, when it is valid, what can change
 * live is applied; when it is not, the running configuration stays in force, the reason is
 * logged, and `hyperion_config_last_reload_successful` says 0 until a reload succeeds. The web
 * configuration (--web.config.file) is read again in the same reload, and counts towards it.
 *
 * What the reload can change is decided by the composition root (assemble.ts: `reconfigure`),
 * which knows the parts; this file only sequences reloads and keeps their outcome.
 */
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { loadConfig } from './load.js';
import type { Config } from './schema.js';

/** What applying a valid configuration did. */
export interface AppliedConfig {
  /** Top-level blocks whose new values are now in force. */
  changed: string[];
  /** Top-level blocks that changed in the file but keep their running values until a restart. */
  restartRequired: string[];
}

export interface ReloadOutcome {
  success: boolean;
  /** Why the reload failed (the file and the key, or the web configuration's reason). */
  error?: string;
  changed: string[];
  restartRequired: string[];
  /** Whether the web configuration was read again, and what came of it. */
  webConfig: 'none' | 'unchanged' | 'reloaded' | 'failed';
}

/** Re-reads --web.config.file: 'reloaded' or 'unchanged', or throws with the reason. */
export type WebConfigReload = () => Promise<'reloaded' | 'unchanged'>;

export interface ReloaderOptions {
  file: string;
  /** The operator named the file (--config.file): its absence is then an error. */
  explicit: boolean;
  log: Logger;
  metrics: Registry;
  /** Applies a validated configuration; must not throw for a configuration that validated. */
  apply(next: Config): AppliedConfig;
  now?: () => number;
}

export class ConfigReloader {
  private readonly successful: Gauge;
  private readonly successTime: Gauge;
  private webConfig: WebConfigReload | undefined;
  /** Reloads run one after the other: a SIGHUP during an API reload waits for it. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Whether each source is valid as last read: the metric is 1 only when both are. */
  private configOk = true;
  private webOk = true;

  constructor(private readonly options: ReloaderOptions) {
    this.successful = new Gauge({
      name: 'hyperion_config_last_reload_successful',
      help: 'Whether the last configuration reload (SIGHUP, POST /-/reload, or a changed web configuration file) succeeded: 0 means the file on disk is not the configuration in force.',
      registers: [options.metrics],
    });
    this.successTime = new Gauge({
      name: 'hyperion_config_last_reload_success_timestamp_seconds',
      help: 'When the configuration in force was last loaded successfully (start-up or reload), in seconds since the epoch.',
      registers: [options.metrics],
    });
    // The configuration read at start-up is a successful load, as in Prometheus.
    this.successful.set(1);
    this.successTime.set(this.now() / 1000);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Called once the web configuration exists (main.ts starts it after the listeners). */
  setWebConfigReload(reload: WebConfigReload): void {
    this.webConfig = reload;
  }

  /**
   * The outcome of the web configuration's own watcher, which re-reads it when its files
   * change: a broken file on disk is a failed reload there too.
   */
  webConfigRead(ok: boolean): void {
    this.webOk = ok;
    this.record();
  }

  reload(trigger: 'SIGHUP' | 'api'): Promise<ReloadOutcome> {
    const run = this.queue.then(() => this.run(trigger));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(trigger: string): Promise<ReloadOutcome> {
    const { file, log } = this.options;
    const outcome: ReloadOutcome = { success: true, changed: [], restartRequired: [], webConfig: 'none' };
    const errors: string[] = [];
    let next: Config | undefined;
    try {
      next = loadConfig(file, this.options.explicit);
      this.configOk = true;
    } catch (error) {
      this.configOk = false;
      errors.push((error as Error).message);
    }
    if (this.webConfig) {
      try {
        outcome.webConfig = await this.webConfig();
        this.webOk = true;
      } catch (error) {
        this.webOk = false;
        outcome.webConfig = 'failed';
        errors.push(`web configuration: ${(error as Error).message}`);
      }
    }
    // A valid configuration file applies even when the web configuration is broken: they are
    // two files, each either in force or not, and the metric says that one of them is not.
    if (next) {
      try {
        const applied = this.options.apply(next);
        outcome.changed = applied.changed;
        outcome.restartRequired = applied.restartRequired;
      } catch (error) {
        // A bug, not a bad file (the file validated): said as such, and the metric says 0.
        this.configOk = false;
        errors.push(`applying ${file} failed: ${(error as Error).message}`);
      }
    }
    outcome.success = errors.length === 0;
    if (!outcome.success) outcome.error = errors.join('; ');
    this.record();
    if (outcome.success) {
      log.info(
        { trigger, file, changed: outcome.changed, webConfig: outcome.webConfig },
        'configuration reloaded',
      );
    } else {
      log.error(
        { trigger, file, err: outcome.error, changed: outcome.changed },
        'configuration not reloaded; the previous one stays in force',
      );
    }
    if (outcome.restartRequired.length > 0) {
      log.warn(
        { trigger, file, keys: outcome.restartRequired },
        'configuration changes that need a restart were not applied; their running values stay until then',
      );
    }
    return outcome;
  }

  private record(): void {
    const ok = this.configOk && this.webOk;
    this.successful.set(ok ? 1 : 0);
    if (ok) this.successTime.set(this.now() / 1000);
  }
}
