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
  /** The label naming a systemd unit: the link opens that unit on the app's Services page instead. */
  serviceLabel?: string;
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
  define({
    alert: 'HyperionConfigReloadFailed',
    group: 'hyperion.targets',
    entry: 'config_reload_failed',
    texts: (level) => ({
      expr: 'hyperion_config_last_reload_successful == 0',
      summary: 'The configuration of {{ $labels.instance }} on disk is invalid',
      description: `The last configuration reload of {{ $labels.instance }} failed, ${level.for} ago or more: the file on disk (hyperion.yml or the web configuration) does not validate, so the exporter keeps running with the previous one — and would not start after a restart. The exporter's log says which key is wrong.`,
      condition: '`hyperion_config_last_reload_successful == 0`',
    }),
  }),

  define({
    alert: 'HyperionTextfileError',
    group: 'hyperion.targets',
    entry: 'textfile_error',
    texts: () => ({
      expr: 'hyperion_textfile_scrape_error == 1',
      summary: 'A textfile of {{ $labels.instance }} cannot be used',
      description:
        "The exporter {{ $labels.instance }} left a *.prom file of its textfile directory (or a family in one) out of its last scrape: the file cannot be read or parsed, has timestamps, or contradicts another. The exporter's log names the file and the reason; that file's metrics are missing meanwhile.",
      condition: '`hyperion_textfile_scrape_error == 1`',
    }),
  }),

  // ── The exporter's own security ──────────────────────────────────────────────────────────────
  define({
    alert: 'HyperionSecondFactorLockout',
    group: 'hyperion.targets',
    entry: 'second_factor_lockouts',
    texts: (level, _s, t) => ({
      expr: `increase(hyperion_otp_lockouts_total[${t.second_factor_lockouts.window}]) > ${level.above}`,
      summary: 'Someone was locked out of the second factor on exporter {{ $labels.instance }}',
      description: `The exporter {{ $labels.instance }} locked an actor out for wrong one-time codes (about {{ $value | printf "%.0f" }} lockout(s) in the last ${t.second_factor_lockouts.window}). Its audit log (action and result "refused", reason wrong) says who: a person whose authenticator's clock is off, or someone guessing codes with a stolen session or token.`,
      condition: `more than ${level.above} second-factor lockouts within ${t.second_factor_lockouts.window}`,
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

  define({
    alert: 'HyperionClockSkew',
    group: 'hyperion.host',
    entry: 'clock_skew',
    texts: (level) => ({
      // node-mixin's NodeClockSkewDetected: off by more than the threshold and not getting
      // closer (the offset and its trend have the same sign), so a clock being corrected is quiet.
      expr: `abs(hyperion_timex_offset_seconds) > ${level.offset_above}\nand hyperion_timex_offset_seconds * deriv(hyperion_timex_offset_seconds[5m]) >= 0`,
      summary: 'Clock of {{ $labels.instance }} is off',
      description: `The clock of {{ $labels.instance }} is {{ $value | printf "%.3f" }} s off its time source and not converging (threshold ${level.offset_above} s): logs, certificates and anything that compares times across hosts go wrong.`,
      condition: `clock offset beyond ±${level.offset_above} s and not shrinking`,
    }),
  }),
  define({
    alert: 'HyperionClockNotSynchronising',
    group: 'hyperion.host',
    entry: 'clock_not_synchronising',
    texts: (level) => ({
      // node-mixin's NodeClockNotSynchronising, the maximum error first so that it is the value.
      expr: `hyperion_timex_maxerror_seconds >= ${level.maxerror_at_least}\nand min_over_time(hyperion_timex_sync_status[5m]) == 0`,
      summary: 'Clock of {{ $labels.instance }} is not synchronising',
      description: `The kernel of {{ $labels.instance }} has not had its clock synchronised for 5 minutes or more and estimates it may be {{ $value | printf "%.0f" }} s off (threshold ${level.maxerror_at_least} s): is an NTP client running and reaching its servers?`,
      condition: `not synchronised for 5 minutes and maximum error ≥ ${level.maxerror_at_least} s`,
    }),
  }),
  define({
    alert: 'HyperionFileDescriptorsRunningOut',
    group: 'hyperion.host',
    entry: 'file_descriptors_used',
    texts: (level, severity) => ({
      expr: `hyperion_filefd_allocated / hyperion_filefd_maximum > ${level.above}`,
      summary: 'File handles of {{ $labels.instance }} are running out',
      description: `{{ $value | humanizePercentage }} of the system-wide file handle limit of {{ $labels.instance }} is allocated (${severity} threshold ${percent(level.above)}): at the limit, every open() and socket() fails.`,
      condition: `file handles allocated > ${percent(level.above)} of fs.file-max`,
    }),
  }),
  define({
    alert: 'HyperionMajorPageFaults',
    group: 'hyperion.host',
    entry: 'major_page_faults',
    texts: (level) => ({
      expr: `rate(hyperion_vmstat_pgmajfault_total[5m]) > ${level.above}`,
      summary: 'Memory of {{ $labels.instance }} is being read back from disk',
      description: `{{ $labels.instance }} takes {{ $value | printf "%.0f" }} major page faults per second (threshold ${level.above}): memory pages are read from disk as they are touched, the sign of a host short of memory.`,
      condition: `major page faults > ${level.above} per second`,
    }),
  }),
  define({
    alert: 'HyperionOomKill',
    group: 'hyperion.host',
    entry: 'oom_kills',
    texts: (level, _s, t) => ({
      expr: `increase(hyperion_vmstat_oom_kill_total[${t.oom_kills.window}]) > ${level.above}`,
      summary: 'The kernel of {{ $labels.instance }} killed processes for memory',
      description: `The kernel's OOM killer on {{ $labels.instance }} killed about {{ $value | printf "%.0f" }} process(es) in the last ${t.oom_kills.window}: the host ran out of memory.`,
      condition: `more than ${level.above} OOM kills within ${t.oom_kills.window}`,
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

  define({
    alert: 'HyperionRaidDegraded',
    group: 'hyperion.storage',
    entry: 'raid_degraded',
    texts: () => ({
      expr: 'hyperion_md_disks_required - ignoring (state) hyperion_md_disks{state="active"} > 0',
      summary: 'RAID array {{ $labels.device }} on {{ $labels.instance }} is degraded',
      description:
        'The software RAID array {{ $labels.device }} on {{ $labels.instance }} runs without {{ $value | printf "%.0f" }} of its disks: one more failure may lose its data.',
      condition: 'an md array has fewer active disks than it needs',
    }),
  }),
  define({
    alert: 'HyperionRaidDiskFailed',
    group: 'hyperion.storage',
    entry: 'raid_disk_failed',
    texts: () => ({
      expr: 'hyperion_md_disks{state="failed"} > 0',
      summary: 'A disk of RAID array {{ $labels.device }} on {{ $labels.instance }} failed',
      description:
        'The software RAID array {{ $labels.device }} on {{ $labels.instance }} has {{ $value | printf "%.0f" }} disk(s) marked failed: replace them.',
      condition: 'an md array has a disk marked failed',
    }),
  }),
  define({
    alert: 'HyperionBondingDegraded',
    group: 'hyperion.network',
    entry: 'bonding_degraded',
    texts: () => ({
      expr: 'hyperion_bonding_slaves - hyperion_bonding_active > 0',
      summary: 'Bond {{ $labels.master }} on {{ $labels.instance }} is degraded',
      description:
        'The bonded interface {{ $labels.master }} on {{ $labels.instance }} has {{ $value | printf "%.0f" }} slave(s) with the link down: it runs without its redundancy.',
      condition: 'a bond has a slave whose link is down',
    }),
  }),
  define({
    alert: 'HyperionConntrackTableFilling',
    group: 'hyperion.network',
    entry: 'conntrack_used',
    texts: (level, severity) => ({
      expr: `hyperion_nf_conntrack_entries / hyperion_nf_conntrack_entries_limit > ${level.above}`,
      summary: 'Connection tracking table of {{ $labels.instance }} is filling up',
      description: `{{ $value | humanizePercentage }} of the connection-tracking table of {{ $labels.instance }} is in use (${severity} threshold ${percent(level.above)}): when it is full, the kernel drops new connections.`,
      condition: `conntrack table > ${percent(level.above)} full`,
    }),
  }),

  // ── systemd units (the opt-in systemd collector: the exporter's own host) ────────────────────
  define({
    alert: 'HyperionSystemdUnitFailed',
    group: 'hyperion.systemd',
    entry: 'systemd_unit_failed',
    serviceLabel: 'name',
    texts: () => ({
      expr: 'hyperion_systemd_unit_state{state="failed"} == 1',
      summary: 'systemd unit {{ $labels.name }} on {{ $labels.instance }} has failed',
      description:
        "The systemd unit {{ $labels.name }} on {{ $labels.instance }} is in the failed state: it exited with an error, was killed, or hit its start limit. Its log is on Hyperion's Services page.",
      condition: 'a systemd unit is in the failed state',
    }),
  }),
  define({
    alert: 'HyperionSystemdServiceCrashLooping',
    group: 'hyperion.systemd',
    entry: 'systemd_service_crash_looping',
    serviceLabel: 'name',
    texts: (level, _s, t) => ({
      // increase() reads through the reset to 0 that a start by hand makes.
      expr: `increase(hyperion_systemd_service_restart_total[${t.systemd_service_crash_looping.window}]) > ${level.above}`,
      summary: 'Service {{ $labels.name }} on {{ $labels.instance }} keeps restarting',
      description: `systemd restarted {{ $labels.name }} on {{ $labels.instance }} {{ $value | printf "%.0f" }} times within ${t.systemd_service_crash_looping.window} (threshold ${level.above}), for ${level.for} now: it keeps crashing and coming back.`,
      condition: `more than ${level.above} automatic restart(s) of a service within ${t.systemd_service_crash_looping.window}`,
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
      const dashboard =
        def.serviceLabel === undefined
          ? t.links.grafana_host.replace('{host}', host)
          : t.links.grafana_service.replace('{service}', `{{ $labels.${def.serviceLabel} | urlquery }}`);
      const rule: AlertRule = {
        alert: def.alert,
        expr: texts.expr,
        ...(isZero(level.for) ? {} : { for: level.for }),
        labels: { severity },
        annotations: {
          summary: texts.summary,
          description: texts.description,
          runbook_url: `${t.links.runbook}#${runbookAnchor(def.alert)}`,
          dashboard_url: dashboard,
        },
      };
      out.push({ group: def.group, entry: def.entry, rule, condition: texts.condition });
    }
  }
  return out;
}
