/**
 * Recording rules: the series dashboards and the Grafana plugin read ("full in 6 h", "CPU 83 %")
 * without each of them repeating, and possibly getting wrong, the PromQL behind the alerts.
 */
import {
  CPU_BUSY,
  FS_INODES_USED,
  FS_SPACE_USED,
  LOAD5_PER_CORE,
  MEMORY_AVAILABLE,
  secondsUntilZero,
} from './promql.js';
import type { Thresholds } from './thresholds.js';

export interface RecordingRule {
  record: string;
  expr: string;
  /** For the README. */
  meaning: string;
}

export function generateRecordingRules(t: Thresholds): RecordingRule[] {
  return [
    { record: 'hyperion:cpu_busy:ratio_rate5m', expr: CPU_BUSY, meaning: 'share of CPU time busy, per host' },
    {
      record: 'hyperion:load5_per_core:ratio',
      expr: LOAD5_PER_CORE,
      meaning: '5-minute load average per CPU',
    },
    {
      record: 'hyperion:memory_available:ratio',
      expr: MEMORY_AVAILABLE,
      meaning: 'share of memory available',
    },
    {
      record: 'hyperion:filesystem_used:ratio',
      expr: FS_SPACE_USED,
      meaning: 'share of a file system’s space used',
    },
    {
      record: 'hyperion:filesystem_files_used:ratio',
      expr: FS_INODES_USED,
      meaning: 'share of a file system’s inodes used',
    },
    {
      record: 'hyperion:filesystem_seconds_until_full',
      expr: secondsUntilZero('hyperion_filesystem_avail_bytes', t.filesystem_space_forecast.window),
      meaning: `seconds until the file system is full at the last ${t.filesystem_space_forecast.window}'s rate; absent when it is not filling up`,
    },
    {
      record: 'hyperion:filesystem_files_seconds_until_full',
      expr: secondsUntilZero('hyperion_filesystem_files_free', t.filesystem_inodes_forecast.window),
      meaning: `seconds until the inodes run out at the last ${t.filesystem_inodes_forecast.window}'s rate; absent when not decreasing`,
    },
    {
      record: 'hyperion:memory_seconds_until_exhausted',
      expr: secondsUntilZero('hyperion_memory_available_bytes', t.memory_forecast.window),
      meaning: `seconds until available memory reaches zero at the last ${t.memory_forecast.window}'s trend; absent when not decreasing`,
    },
  ];
}
