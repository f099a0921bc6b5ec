import { parseAdjtimex, type Timex } from '../parsers/adjtimex.js';
import { FamilyBuilder, sample, type Collector, type MetricFamily } from './collector.js';

/** The clock state adjtimex(2) returns when the clock is not synchronised (include/uapi/linux/timex.h). */
const TIME_ERROR = 5;
/** status bit: offset and jitter are in nanoseconds rather than microseconds. */
const STA_NANO = 0x2000;
/** Frequencies are in ppm with a 16-bit binary fraction (adjtimex(2), NOTES). */
const PPM16 = 1e6 * 65536;

/**
 * node_exporter's timex series, unit for unit, so the node-mixin alerts translate directly:
 * offset and errors in seconds, frequency as a ratio, sync status 1/0 from the clock state.
 */
export function timexFamilies(t: Timex): MetricFamily[] {
  const divisor = (t.status & STA_NANO) !== 0 ? 1e9 : 1e6;
  const m = new FamilyBuilder();
  const gauge = (name: string, help: string, value: number) =>
    sample(m.gauge(`hyperion_timex_${name}`, help), value);
  const counter = (name: string, help: string, value: number) =>
    sample(m.counter(`hyperion_timex_${name}`, help), value);
  gauge(
    'sync_status',
    'Is the clock synchronised to a reliable server (1 = yes, 0 = no): the kernel’s clock state is not TIME_ERROR.',
    t.clockState === TIME_ERROR ? 0 : 1,
  );
  gauge('offset_seconds', 'Time offset between the local clock and its reference.', t.offset / divisor);
  gauge('frequency_adjustment_ratio', 'Local clock frequency adjustment, as a ratio.', 1 + t.freq / PPM16);
  gauge('maxerror_seconds', 'Maximum error of the clock.', t.maxerror / 1e6);
  gauge('estimated_error_seconds', 'Estimated error of the clock.', t.esterror / 1e6);
  gauge('status', 'The kernel’s clock status bits (STA_*).', t.status);
  gauge('loop_time_constant', 'Phase-locked loop time constant.', t.constant);
  gauge('tick_seconds', 'Seconds between clock ticks.', t.tick / 1e6);
  gauge('tai_offset_seconds', 'International Atomic Time (TAI) offset from UTC.', t.tai);
  gauge('pps_frequency_hertz', 'Pulse per second frequency.', t.ppsfreq / PPM16);
  gauge('pps_jitter_seconds', 'Pulse per second jitter.', t.jitter / divisor);
  gauge('pps_shift_seconds', 'Pulse per second interval duration (a power of two).', t.shift);
  gauge(
    'pps_stability_hertz',
    'Pulse per second stability: average of recent frequency changes.',
    t.stabil / PPM16,
  );
  counter('pps_jitter_total', 'Pulse per second count of jitter limit exceeded events.', t.jitcnt);
  counter('pps_calibration_total', 'Pulse per second count of calibration intervals.', t.calcnt);
  counter('pps_error_total', 'Pulse per second count of calibration errors.', t.errcnt);
  counter(
    'pps_stability_exceeded_total',
    'Pulse per second count of stability limit exceeded events.',
    t.stbcnt,
  );
  return m.build();
}

export const timexCollector: Collector = {
  name: 'timex',
  description:
    'Kernel clock discipline (NTP offset, sync status, max error) from adjtimex(2), through the agent of the host',
  defaultEnabled: true,
  async collect({ host }) {
    if (!host.adjtimex) throw new Error(`host ${host.name} cannot read its kernel clock state`);
    return timexFamilies(parseAdjtimex(await host.adjtimex()));
  },
};
