/**
 * PromQL fragments shared by the alerts and the recording rules, so that the "full in 6 h" a
 * dashboard reads from a recording rule is computed exactly as the alert that pages on it.
 *
 * Only functions both Prometheus 2.42 and 3.x have are used here (no holt_winters, which 3.x
 * renamed, and nothing 3.x added).
 */

/** Share of a file system's space in use, as df computes it: what unprivileged users cannot use. */
export const FS_SPACE_USED = '1 - hyperion_filesystem_avail_bytes / hyperion_filesystem_size_bytes';
export const FS_INODES_USED = '1 - hyperion_filesystem_files_free / hyperion_filesystem_files';
export const FS_WRITABLE = 'hyperion_filesystem_readonly == 0';
export const MEMORY_AVAILABLE = 'hyperion_memory_available_bytes / hyperion_memory_total_bytes';

/**
 * Share of CPU time spent neither idle nor waiting for I/O, averaged over the host's CPUs. iowait
 * counts as idle because the CPU could have run something else.
 */
export const CPU_BUSY =
  '1 - avg without (cpu) (sum without (mode) (rate(hyperion_cpu_seconds_total{mode=~"idle|iowait"}[5m])))';

/** Five-minute load average per CPU: above 1 means runnable tasks wait for a CPU. */
export const LOAD5_PER_CORE =
  'hyperion_load5 / count without (cpu, mode) (hyperion_cpu_seconds_total{mode="idle"})';

/**
 * Seconds until a decreasing gauge reaches zero, from a least-squares line over `window`: the
 * line's value now (predict_linear(v, 0)) divided by its downward slope. Series that are not
 * decreasing are dropped, so "absent" means "not filling up". This is the same line
 * predict_linear(v, T) < 0 tests, written so the alert's value is the time left.
 */
export function secondsUntilZero(metric: string, window: string): string {
  return `clamp_min(\n  predict_linear(${metric}[${window}], 0)\n    / -(deriv(${metric}[${window}]) < 0),\n  0\n)`;
}
