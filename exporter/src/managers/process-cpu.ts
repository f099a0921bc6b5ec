/**
 * CPU % of processes from two readings of /proc/<pid>/stat, the way top computes it: the CPU
 * time a process used between the readings, divided by the time between them. 100 means one
 * CPU fully busy (a multi-threaded process can exceed it).
 *
 * The manager keeps a few recent readings per host, so a listing reuses an earlier one as its
 * reference instead of sleeping. A reading is only a reference when it is old enough for the
 * 10 ms tick granularity not to dominate (MIN_WINDOW) and recent enough to describe "now"
 * (MAX_AGE); with none, the caller takes two readings PRIME_MS apart, so even the first answer
 * is a real rate rather than a lifetime average (which is what ps's %CPU is).
 *
 * Time is the host's own /proc/uptime, read in the same batch as the stat files: over SSH the
 * round trip would otherwise count as part of the window.
 */

/** How long to wait between the two readings of a first listing. */
export const PRIME_MS = 200;
const MIN_WINDOW_SECONDS = 0.15;
const MAX_AGE_SECONDS = 10;
/** Readings kept: with a new one kept at most every MIN_WINDOW, the reference stays < 2×MIN_WINDOW old under load. */
const KEEP = 3;

export interface PidTicks {
  /** Start time after boot in ticks: with the pid, it identifies a process across pid reuse. */
  start: number;
  /** utime + stime, in ticks. */
  ticks: number;
}

/** Every process's CPU time at one instant of the host's clock. */
export interface CpuReading {
  uptimeSeconds: number;
  byPid: Map<number, PidTicks>;
}

export class CpuHistory {
  private readings: CpuReading[] = [];

  /** The newest kept reading that makes a usable window ending at `uptimeSeconds`, if any. */
  reference(uptimeSeconds: number): CpuReading | undefined {
    for (let i = this.readings.length - 1; i >= 0; i -= 1) {
      const r = this.readings[i]!;
      const age = uptimeSeconds - r.uptimeSeconds;
      if (age > MAX_AGE_SECONDS) break;
      if (age >= MIN_WINDOW_SECONDS) return r;
    }
    return undefined;
  }

  /**
   * Keep a complete reading (every process), unless the last kept one is younger than
   * MIN_WINDOW: back-to-back listings would otherwise push out every usable reference.
   */
  keep(reading: CpuReading): void {
    const last = this.readings[this.readings.length - 1];
    if (last && reading.uptimeSeconds - last.uptimeSeconds < MIN_WINDOW_SECONDS) return;
    this.readings.push(reading);
    this.readings = this.readings
      .filter((r) => reading.uptimeSeconds - r.uptimeSeconds <= MAX_AGE_SECONDS)
      .slice(-KEEP);
  }
}

/**
 * CPU % of one process at `now`. A process absent from the reference (or a different process
 * that reused its pid) started after it, so its whole CPU time fell inside its own lifetime:
 * that lifetime is its window.
 */
export function cpuPercent(
  pid: number,
  current: PidTicks,
  nowUptimeSeconds: number,
  reference: CpuReading,
  clockTicks: number,
  threads: number,
): number {
  const before = reference.byPid.get(pid);
  let usedTicks: number;
  let windowSeconds: number;
  if (before && before.start === current.start) {
    usedTicks = current.ticks - before.ticks;
    windowSeconds = nowUptimeSeconds - reference.uptimeSeconds;
  } else {
    usedTicks = current.ticks;
    windowSeconds = nowUptimeSeconds - current.start / clockTicks;
  }
  if (!(windowSeconds > 0) || !(usedTicks > 0)) return 0;
  // A process only milliseconds old has a window shorter than a tick, which can read as
  // several hundred %: no process can use more than one CPU per thread.
  const percent = Math.min((usedTicks / clockTicks / windowSeconds) * 100, 100 * Math.max(1, threads));
  // One decimal is all two tick-granular readings can support.
  return Math.round(percent * 10) / 10;
}
