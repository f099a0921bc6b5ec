/**
 * Every Hyperion alert, as a function of its thresholds. One definition per alert name; an alert
 * gets one rule per severity level the operator configured for it in thresholds.yml (so
 * "filesystem almost full" is a warning at 85 % and critical at 95 %, both under one name, which
 * is what lets Alertmanager's "critical mutes warning" inhibition pair them).
 */
import { durationSeconds, isZero } from './duration.js';
import {
  CPU_BUSY,
  FS_INODES_USED,
  FS_SPACE_USED,
  FS_WRITABLE,
  LOAD5_PER_CORE,
  MEMORY_AVAILABLE,
  secondsUntilZero,
} from './promql.js';
import { SEVERITIES, type EntryName, type Level, type Severity, type Thresholds } from './thresholds.js';

/** The text Prometheus renders for each alert; every field may use Go template syntax. */
interface Texts {
  expr: string;
  summary: string;
  description: string;
  /** For the README: when the alert fires, in words, with the threshold. */
  condition: string;
}

interface Definition<E extends EntryName> {
  alert: string;
  /** Rule group, so related alerts are evaluated (and listed in Prometheus' UI) together. */
  group: string;
  entry: E;
  /** The label naming the host the Grafana link opens; `instance` unless the alert is about another host. */
  hostLabel?: string;
  texts(level: Level<E>, severity: Severity, t: Thresholds): Texts;
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: Severity };
  annotations: { summary: string; description: string; runbook_url: string; dashboard_url: string };
}

export interface GeneratedAlert {
  group: string;
  entry: EntryName;
  rule: AlertRule;
  condition: string;
}

/** 0.95 → "95%", without binary-fraction noise such as 94.99999999999999. */
export function percent(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(6))}%`;
}

/** The GitHub-style anchor of a Markdown heading that is just the alert's name. */
export function runbookAnchor(alert: string): string {
  return alert.toLowerCase();
}

const fsWhere =
  '{{ $labels.mountpoint }} ({{ $labels.device }}, {{ $labels.fstype }}) on {{ $labels.instance }}';

// Written with a helper per entry so each definition's `level` has that entry's exact fields.
function define<E extends EntryName>(definition: Definition<E>): Definition<EntryName> {
  return definition as unknown as Definition<EntryName>;
}

export const DEFINITIONS: Definition<EntryName>[] = [
  // ── Targets: is Hyperion itself seeing the hosts? ────────────────────────────────────────────
  define({
    alert: 'HyperionExporterDown',
    group: 'hyperion.targets',
    entry: 'exporter_down',
    texts: (level, _s, t) => ({
      expr: `up{job=~"${t.exporter_jobs}"} == 0`,
      summary: 'Hyperion exporter {{ $labels.instance }} is down',
      description: `Prometheus has not been able to scrape {{ $labels.instance }} (job {{ $labels.job }}) for ${level.for}: no metrics, and no other alert, come from it until it is back.`,
      condition: `\`up == 0\` for a job matching \`${t.exporter_jobs}\``,
    }),
  }),
  define({
    alert: 'HyperionHostUnreachable',
    group: 'hyperion.targets',
    entry: 'host_unreachable',
    texts: (level) => ({
      expr: 'hyperion_probe_success == 0',
      summary: 'Host {{ $labels.instance }} is unreachable over SSH',
      description: `Every /probe of {{ $labels.instance }} has failed for ${level.for}: the exporter cannot reach it over SSH. Its other alerts are muted while this one fires.`,
      condition: '`hyperion_probe_success == 0` (a `/probe` target)',
    }),
  }),
  define({
    alert: 'HyperionSshHostKeyMismatch',
    group: 'hyperion.targets',
    entry: 'ssh_host_key_mismatch',
    hostLabel: 'host',
    texts: () => ({
      expr: 'hyperion_ssh_host_key_mismatch == 1',
      summary: 'SSH host key of {{ $labels.host }} changed',
      description:
        'The exporter {{ $labels.instance }} refuses to connect to {{ $labels.host }}: the host presents a key other than the one an admin approved. Treat it as a possible man-in-the-middle until someone has checked the machine.',
      condition: '`hyperion_ssh_host_key_mismatch == 1`',
    }),
  }),
  define({
    alert: 'HyperionCollectorFailing',
    group: 'hyperion.targets',
    entry: 'collector_failing',
    texts: (level) => ({
      expr: 'hyperion_scrape_collector_success == 0',
      summary: 'Collector {{ $labels.collector }} fails on {{ $labels.instance }}',
      description: `The {{ $labels.collector }} collector of {{ $labels.instance }} has failed in every scrape for ${level.for}, so its series are missing; the exporter's log says why.`,
      condition: '`hyperion_scrape_collector_success == 0`',
    }),
  }),

  // ── Host resources ───────────────────────────────────────────────────────────────────────────
  define({
    alert: 'HyperionCpuBusy',
    group: 'hyperion.host',
    entry: 'cpu_busy',
    texts: (level) => ({
      expr: `${CPU_BUSY} > ${level.above}`,
      summary: 'CPU of {{ $labels.instance }} is busy',
      description: `The CPUs of {{ $labels.instance }} are {{ $value | humanizePercentage }} busy (5-minute average, threshold ${percent(level.above)}).`,
      condition: `CPU busy (not idle, not iowait) > ${percent(level.above)}`,
    }),
  }),
  define({
    alert: 'HyperionLoadHigh',
    group: 'hyperion.host',
    entry: 'load_per_core',
    texts: (level) => ({
      expr: `${LOAD5_PER_CORE} > ${level.above}`,
      summary: 'Load on {{ $labels.instance }} is saturating its CPUs',
      description: `The 5-minute load average of {{ $labels.instance }} is {{ $value | printf "%.2f" }} per CPU (threshold ${level.above}): tasks are waiting to run.`,
      condition: `5-minute load average per CPU > ${level.above}`,
    }),
  }),
  define({
    alert: 'HyperionMemoryAvailableLow',
    group: 'hyperion.host',
    entry: 'memory_available',
    texts: (level) => ({
      expr: `${MEMORY_AVAILABLE} < ${level.below}`,
      summary: 'Memory of {{ $labels.instance }} is running out',
      description: `Only {{ $value | humanizePercentage }} of the memory of {{ $labels.instance }} is available (threshold ${percent(level.below)}).`,
      condition: `available memory < ${percent(level.below)} of total`,
    }),
  }),
  define({
    alert: 'HyperionSwapFilling',
    group: 'hyperion.host',
    entry: 'swap_used',
    texts: (level) => ({
      // Hosts without swap give 0 / 0 = NaN, and NaN > x is false: no alert, no special case.
      expr: `1 - hyperion_memory_swap_free_bytes / hyperion_memory_swap_total_bytes > ${level.above}`,
      summary: 'Swap of {{ $labels.instance }} is filling up',
      description: `{{ $value | humanizePercentage }} of the swap space of {{ $labels.instance }} is in use (threshold ${percent(level.above)}).`,
      condition: `swap used > ${percent(level.above)} (hosts with swap)`,
    }),
  }),
  define({
    alert: 'HyperionTemperatureHigh',
    group: 'hyperion.host',
    entry: 'temperature_max',
    texts: () => ({
      // A max of 0 means the driver does not know one; such sensors are left out.
      expr: 'hyperion_hwmon_temp_celsius >= (hyperion_hwmon_temp_max_celsius > 0)',
      summary:
        'Sensor {{ $labels.chip }}/{{ $labels.sensor }} on {{ $labels.instance }} is at its max temperature',
      description:
        "{{ $labels.chip }}/{{ $labels.sensor }}{{ with $labels.label }} ({{ . }}){{ end }} on {{ $labels.instance }} reads {{ $value | printf \"%.1f\" }} °C, at or above the sensor's max of {{ with printf \"hyperion_hwmon_temp_max_celsius{instance='%s',chip='%s',sensor='%s'}\" $labels.instance $labels.chip $labels.sensor | query }}{{ . | first | value | printf \"%.1f\" }}{{ end }} °C.",
      condition: "temperature ≥ the sensor's own max",
    }),
  }),
  define({
    alert: 'HyperionTemperatureHigh',
    group: 'hyperion.host',
    entry: 'temperature_crit',
    texts: () => ({
      expr: 'hyperion_hwmon_temp_celsius >= (hyperion_hwmon_temp_crit_celsius > 0)',
      summary:
        'Sensor {{ $labels.chip }}/{{ $labels.sensor }} on {{ $labels.instance }} is at its critical temperature',
      description:
        "{{ $labels.chip }}/{{ $labels.sensor }}{{ with $labels.label }} ({{ . }}){{ end }} on {{ $labels.instance }} reads {{ $value | printf \"%.1f\" }} °C, at or above the sensor's critical limit of {{ with printf \"hyperion_hwmon_temp_crit_celsius{instance='%s',chip='%s',sensor='%s'}\" $labels.instance $labels.chip $labels.sensor | query }}{{ . | first | value | printf \"%.1f\" }}{{ end }} °C: the hardware may shut down.",
      condition: "temperature ≥ the sensor's own crit",
    }),
  }),

  // ── Storage and network ──────────────────────────────────────────────────────────────────────
  define({
    alert: 'HyperionFilesystemAlmostFull',
    group: 'hyperion.storage',
    entry: 'filesystem_space_used',
    texts: (level, severity) => ({
      expr: `${FS_SPACE_USED} > ${level.above}\nand ${FS_WRITABLE}`,
      summary: 'File system {{ $labels.mountpoint }} on {{ $labels.instance }} is almost full',
      description: `${fsWhere} is {{ $value | humanizePercentage }} full (${severity} threshold ${percent(level.above)}).`,
      condition: `space used > ${percent(level.above)} (writable file systems)`,
    }),
  }),
  define({
    alert: 'HyperionFilesystemInodesAlmostFull',
    group: 'hyperion.storage',
    entry: 'filesystem_inodes_used',
    texts: (level, severity) => ({
      expr: `${FS_INODES_USED} > ${level.above}\nand ${FS_WRITABLE}`,
      summary: 'File system {{ $labels.mountpoint }} on {{ $labels.instance }} is running out of inodes',
      description: `${fsWhere} has used {{ $value | humanizePercentage }} of its inodes (${severity} threshold ${percent(level.above)}): new files will fail even with space left.`,
      condition: `inodes used > ${percent(level.above)} (writable file systems)`,
    }),
  }),
  define({
    alert: 'HyperionDiskIoSaturated',
    group: 'hyperion.storage',
    entry: 'disk_io_busy',
    texts: (level) => ({
      expr: `rate(hyperion_disk_io_time_seconds_total[5m]) > ${level.above}`,
      summary: 'Disk {{ $labels.device }} on {{ $labels.instance }} is saturated',
      description: `{{ $labels.device }} on {{ $labels.instance }} has had I/O in flight {{ $value | humanizePercentage }} of the time over 5 minutes (threshold ${percent(level.above)}).`,
      condition: `time with I/O in flight > ${percent(level.above)}`,
    }),
  }),
  define({
    alert: 'HyperionNetworkReceiveErrors',
    group: 'hyperion.network',
    entry: 'network_errors',
    texts: (level) => ({
      // Linux counts errored packets apart from received ones, so the share is errs / (packets + errs).
      expr: `rate(hyperion_network_receive_errs_total[5m])\n  / (rate(hyperion_network_receive_packets_total[5m]) + rate(hyperion_network_receive_errs_total[5m]))\n> ${level.above}`,
      summary: 'Interface {{ $labels.device }} on {{ $labels.instance }} has receive errors',
      description: `{{ $value | humanizePercentage }} of the packets {{ $labels.device }} on {{ $labels.instance }} received over 5 minutes were errors (threshold ${percent(level.above)}).`,
      condition: `receive errors > ${percent(level.above)} of packets`,
    }),
  }),
  define({
    alert: 'HyperionNetworkTransmitErrors',
    group: 'hyperion.network',
    entry: 'network_errors',
    texts: (level) => ({
      expr: `rate(hyperion_network_transmit_errs_total[5m])\n  / (rate(hyperion_network_transmit_packets_total[5m]) + rate(hyperion_network_transmit_errs_total[5m]))\n> ${level.above}`,
      summary: 'Interface {{ $labels.device }} on {{ $labels.instance }} has transmit errors',
      description: `{{ $value | humanizePercentage }} of the packets {{ $labels.device }} on {{ $labels.instance }} sent over 5 minutes failed (threshold ${percent(level.above)}).`,
      condition: `transmit errors > ${percent(level.above)} of packets`,
    }),
  }),

  // ── Forecasts: warn before a resource runs out ───────────────────────────────────────────────
  define({
    alert: 'HyperionFilesystemFillingUp',
    group: 'hyperion.forecast',
    entry: 'filesystem_space_forecast',
    texts: (level, _s, t) => ({
      // The usage guard keeps a burst of writes on an empty disk from paging anyone; read-only
      // file systems cannot fill up.
      expr: `${secondsUntilZero('hyperion_filesystem_avail_bytes', t.filesystem_space_forecast.window)} < ${durationSeconds(level.full_within)}\nand ${FS_SPACE_USED} > ${level.used_above}\nand ${FS_WRITABLE}`,
      summary: 'File system {{ $labels.mountpoint }} on {{ $labels.instance }} will be full soon',
      description: `At the rate of the last ${t.filesystem_space_forecast.window}, ${fsWhere} will be full in {{ $value | humanizeDuration }}; it is more than ${percent(level.used_above)} used already.`,
      condition: `full within ${level.full_within} at the last ${t.filesystem_space_forecast.window}'s rate, and > ${percent(level.used_above)} used`,
    }),
  }),
  define({
    alert: 'HyperionFilesystemInodesFillingUp',
    group: 'hyperion.forecast',
    entry: 'filesystem_inodes_forecast',
    texts: (level, _s, t) => ({
      expr: `${secondsUntilZero('hyperion_filesystem_files_free', t.filesystem_inodes_forecast.window)} < ${durationSeconds(level.full_within)}\nand ${FS_INODES_USED} > ${level.used_above}\nand ${FS_WRITABLE}`,
      summary: 'File system {{ $labels.mountpoint }} on {{ $labels.instance }} will run out of inodes soon',
      description: `At the rate of the last ${t.filesystem_inodes_forecast.window}, ${fsWhere} will run out of inodes in {{ $value | humanizeDuration }}; more than ${percent(level.used_above)} are used already.`,
      condition: `inodes exhausted within ${level.full_within} at the last ${t.filesystem_inodes_forecast.window}'s rate, and > ${percent(level.used_above)} used`,
    }),
  }),
  define({
    alert: 'HyperionMemoryExhaustionForecast',
    group: 'hyperion.forecast',
    entry: 'memory_forecast',
    texts: (level, _s, t) => ({
      expr: `${secondsUntilZero('hyperion_memory_available_bytes', t.memory_forecast.window)} < ${durationSeconds(level.exhausted_within)}\nand ${MEMORY_AVAILABLE} < ${level.available_below}`,
      summary: 'Memory of {{ $labels.instance }} will run out soon',
      description: `At the trend of the last ${t.memory_forecast.window}, the available memory of {{ $labels.instance }} reaches zero in {{ $value | humanizeDuration }}; less than ${percent(level.available_below)} is available now.`,
      condition: `available memory reaches zero within ${level.exhausted_within} at the last ${t.memory_forecast.window}'s trend, and < ${percent(level.available_below)} available`,
    }),
  }),

  // ── Jobs (the exporter's `job` label arrives as `exported_job`, Prometheus' own `job` wins) ──
  define({
    alert: 'HyperionJobFailed',
    group: 'hyperion.jobs',
    entry: 'job_failed',
    texts: () => ({
      // A job that never succeeded has no success time (or 0): compare with 0 then.
      expr: 'hyperion_job_last_run_timestamp_seconds\n  > (hyperion_job_last_success_timestamp_seconds or hyperion_job_last_run_timestamp_seconds * 0)',
      summary: 'Job {{ $labels.exported_job }} failed on {{ $labels.instance }}',
      description:
        "The last run of job {{ $labels.exported_job }} on {{ $labels.instance }}, at {{ $value | humanizeTimestamp }}, did not succeed; its history in Hyperion's Jobs page has the exit code and output.",
      condition: 'the last run of a job did not succeed (until a later run succeeds)',
    }),
  }),
  define({
    alert: 'HyperionJobMissedSchedule',
    group: 'hyperion.jobs',
    entry: 'job_missed_schedule',
    texts: (level) => ({
      expr: `time() - hyperion_job_next_run_timestamp_seconds > ${durationSeconds(level.late_by)}`,
      summary: 'Job {{ $labels.exported_job }} on {{ $labels.instance }} missed its schedule',
      description: `Job {{ $labels.exported_job }} on {{ $labels.instance }} was due {{ $value | humanizeDuration }} ago and has not started (grace ${level.late_by}).`,
      condition: `a job's next run time is more than ${level.late_by} in the past`,
    }),
  }),
];

export function generateAlerts(t: Thresholds): GeneratedAlert[] {
  const out: GeneratedAlert[] = [];
  for (const def of DEFINITIONS) {
    const entry = t[def.entry];
    for (const severity of SEVERITIES) {
      const level = entry[severity];
      if (level === undefined) continue;
      const texts = def.texts(level, severity, t);
      const host = `{{ $labels.${def.hostLabel ?? 'instance'} | urlquery }}`;
      const rule: AlertRule = {
        alert: def.alert,
        expr: texts.expr,
        ...(isZero(level.for) ? {} : { for: level.for }),
        labels: { severity },
        annotations: {
          summary: texts.summary,
          description: texts.description,
          runbook_url: `${t.links.runbook}#${runbookAnchor(def.alert)}`,
          dashboard_url: t.links.grafana_host.replace('{host}', host),
        },
      };
      out.push({ group: def.group, entry: def.entry, rule, condition: texts.condition });
    }
  }
  return out;
}
