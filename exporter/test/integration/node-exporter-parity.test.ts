/**
 * Hyperion's values against node_exporter's (Debian's 1.5), where both export them:
 *
 * - live, on this machine at the same moment: both exporters run side by side and are scraped
 *   Hyperion, node_exporter, Hyperion, so a counter node_exporter read must lie between Hyperion's
 *   two readings, and a level must match within what the machine did meanwhile — filefd,
 *   conntrack, vmstat, timex (the kernel's own clock state), time (clock sources) and textfile
 *   (one directory read by both);
 * - on the fixture trees, for what this VM does not have (hwmon chips, md arrays, bonds, a busy
 *   conntrack table): node_exporter is started with --path.procfs/--path.sysfs on the tree and
 *   Hyperion's collector runs on the same tree; the two expositions must say the same.
 *
 * Names map `node_X` → `hyperion_X`, counters gaining `_total` where node_exporter's lack it. Where
 * Hyperion says more on purpose, the test names the difference (DIFFERENCES) instead of hiding it.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { bondingCollector } from '../../src/collectors/bonding.js';
import type { Collector } from '../../src/collectors/collector.js';
import { conntrackCollector } from '../../src/collectors/conntrack.js';
import { filefdCollector } from '../../src/collectors/filefd.js';
import { hwmonCollector } from '../../src/collectors/hwmon.js';
import { mdadmCollector } from '../../src/collectors/mdadm.js';
import { timeCollector } from '../../src/collectors/time.js';
import { vmstatCollector } from '../../src/collectors/vmstat.js';
import type { HostPaths } from '../../src/hosts/host.js';
import { LocalHost } from '../../src/hosts/local-host.js';
import { renderFamilies } from '../../src/server/exposition.js';
import { EXPORTER_DIR, startExporter, type RunningExporter } from '../support/exporter.js';
import { parseExposition, type ParsedSample } from '../support/exposition.js';
import { startNodeExporter, type RunningNodeExporter } from '../support/node-exporter.js';
import { defaultSettings } from '../unit/helpers.js';

const FIXTURES = path.join(EXPORTER_DIR, 'test/fixtures');
const LIVE = ['filefd', 'conntrack', 'vmstat', 'timex', 'time', 'textfile', 'mdadm', 'bonding'];

async function scrape(url: string): Promise<ParsedSample[]> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  assert.equal(res.status, 200, text.slice(0, 500));
  return parseExposition(text).samples;
}

/** A label set without empty values (node_exporter pads a textfile family's missing labels with ""). */
function key(name: string, labels: Record<string, string>): string {
  const set = Object.entries(labels).filter(([, v]) => v !== '');
  return `${name}${JSON.stringify(set.sort(([a], [b]) => (a < b ? -1 : 1)))}`;
}

function index(samples: readonly ParsedSample[]): Map<string, number> {
  return new Map(samples.map((s) => [key(s.name, s.labels), s.value]));
}

/** node_exporter's name of a Hyperion series, for the families both export. */
function toNode(name: string): string {
  return name
    .replace(/^hyperion_/, 'node_')
    .replace(/^node_vmstat_(.+)_total$/, 'node_vmstat_$1')
    .replace(/^node_nf_conntrack_stat_(.+)_total$/, 'node_nf_conntrack_stat_$1');
}

/** Hyperion's series of `prefix`, keyed by node_exporter's name and labels. */
function asNode(
  samples: readonly ParsedSample[],
  prefix: string,
  dropLabels: string[] = [],
): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) {
    if (!s.name.startsWith(prefix)) continue;
    const labels = Object.fromEntries(Object.entries(s.labels).filter(([k]) => !dropLabels.includes(k)));
    out.set(key(toNode(s.name), labels), s.value);
  }
  return out;
}

function nodeSeries(samples: readonly ParsedSample[], prefix: string): Map<string, number> {
  return index(samples.filter((s) => s.name.startsWith(prefix)));
}

function same(a: number, b: number): boolean {
  return (
    a === b || (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a))
  );
}

/** Every series node_exporter has under `prefix` Hyperion has too, with the same value, and no more. */
function assertSameSeries(hyperion: Map<string, number>, node: Map<string, number>, what: string): void {
  assert.ok(node.size > 0, `node_exporter exported no ${what} series: nothing would be compared`);
  assert.deepEqual([...hyperion.keys()].sort(), [...node.keys()].sort(), `${what}: the same series`);
  for (const [series, value] of node) {
    assert.ok(
      same(hyperion.get(series)!, value),
      `${series}: hyperion ${hyperion.get(series)}, node_exporter ${value}`,
    );
  }
}

/** Runs one of Hyperion's collectors in this process on a tree and reads its exposition back. */
async function hyperionOn(collector: Collector, paths: Partial<HostPaths>): Promise<ParsedSample[]> {
  const families = await collector.collect({
    host: new LocalHost(paths),
    log: pino({ level: 'silent' }),
    settings: defaultSettings(),
    skipped: () => () => undefined,
  });
  return parseExposition(renderFamilies(families)).samples;
}

async function nodeOn(collector: string, flags: string[]): Promise<ParsedSample[]> {
  const node = await startNodeExporter([
    '--collector.disable-defaults',
    `--collector.${collector}`,
    ...flags,
  ]);
  try {
    return await scrape(node.url);
  } finally {
    await node.stop();
  }
}

describe('values agree with node_exporter', { timeout: 120_000 }, () => {
  describe('live, on this machine at the same moment', () => {
    let textDir: string;
    let hyperion: RunningExporter;
    let node: RunningNodeExporter;
    /** Hyperion, node_exporter, Hyperion: scraped one after the other. */
    let h1: ParsedSample[];
    let n: ParsedSample[];
    let h2: ParsedSample[];

    const readAll = async () => {
      h1 = await scrape(hyperion.url);
      n = await scrape(node.url);
      h2 = await scrape(hyperion.url);
    };

    before(async () => {
      textDir = mkdtempSync(path.join(os.tmpdir(), 'hyperion-parity-textfile-'));
      for (const file of ['backup.prom', 'queue.prom'])
        cpSync(path.join(FIXTURES, 'textfile/good', file), path.join(textDir, file));
      // Prometheus' own families, without go_*: node_exporter exports its own go_* series, and a
      // textfile repeating them would be a conflict in node_exporter, not a comparison.
      const prometheus = readFileSync(path.join(FIXTURES, 'textfile/good/prometheus.prom'), 'utf8');
      writeFileSync(
        path.join(textDir, 'prometheus.prom'),
        prometheus
          .split('\n')
          .filter((l) => !/^(# (HELP|TYPE) )?go_/.test(l))
          .join('\n'),
      );
      const flags = [
        '--collector.disable-defaults',
        ...LIVE.map((c) => `--collector.${c}`),
        `--collector.textfile.directory=${textDir}`,
      ];
      [hyperion, node] = await Promise.all([startExporter({ args: flags }), startNodeExporter(flags)]);
      await readAll();
    });

    after(async () => {
      await Promise.all([hyperion?.stop(), node?.stop()]);
      rmSync(textDir, { recursive: true, force: true });
    });

    const value = (samples: ParsedSample[], name: string, labels: Record<string, string> = {}) =>
      index(samples).get(key(name, labels));

    /** node_exporter's reading lies between Hyperion's before and after (± slack for levels). */
    const between = (hName: string, nName: string, slack = 0, labels: Record<string, string> = {}) => {
      const [a, b, v] = [value(h1, hName, labels), value(h2, hName, labels), value(n, nName, labels)];
      assert.ok(a !== undefined && b !== undefined, `${hName} missing from Hyperion`);
      assert.ok(v !== undefined, `${nName} missing from node_exporter`);
      const low = Math.min(a, b) - slack;
      const high = Math.max(a, b) + slack;
      assert.ok(v >= low && v <= high, `${nName} ${v} is not within Hyperion's [${a}, ${b}] ± ${slack}`);
    };

    it('filefd: the same limit, and allocated handles as the machine had them', () => {
      assert.equal(value(h1, 'hyperion_filefd_maximum'), value(n, 'node_filefd_maximum'));
      // Other programs open and close files meanwhile: a few hundred either way on a busy machine.
      const allocated = Math.max(
        value(h1, 'hyperion_filefd_allocated')!,
        value(h2, 'hyperion_filefd_allocated')!,
      );
      between('hyperion_filefd_allocated', 'node_filefd_allocated', Math.max(300, 0.2 * allocated));
    });

    it('conntrack: the same table size and limit, counters in between', () => {
      assert.equal(
        value(h1, 'hyperion_nf_conntrack_entries_limit'),
        value(n, 'node_nf_conntrack_entries_limit'),
      );
      between('hyperion_nf_conntrack_entries', 'node_nf_conntrack_entries', 50);
      const stats = n.filter((s) => s.name.startsWith('node_nf_conntrack_stat_'));
      assert.equal(stats.length, 8, 'node_exporter exports eight conntrack stats');
      for (const s of stats) between(`hyperion_${s.name.slice('node_'.length)}_total`, s.name);
    });

    it('vmstat: every field node_exporter exports, each reading between Hyperion’s two', () => {
      const fields = n
        .filter((s) => s.name.startsWith('node_vmstat_'))
        .map((s) => s.name.slice('node_vmstat_'.length));
      assert.deepEqual(fields.sort(), [
        'oom_kill',
        'pgfault',
        'pgmajfault',
        'pgpgin',
        'pgpgout',
        'pswpin',
        'pswpout',
      ]);
      for (const field of fields) between(`hyperion_vmstat_${field}_total`, `node_vmstat_${field}`);
    });

    it('timex: the kernel’s clock state, read by adjtimex, is the same', () => {
      for (const name of [
        'sync_status',
        'status',
        'tick_seconds',
        'loop_time_constant',
        'frequency_adjustment_ratio',
        'tai_offset_seconds',
        'pps_frequency_hertz',
        'pps_jitter_total',
        'pps_calibration_total',
        'pps_error_total',
        'pps_stability_exceeded_total',
      ]) {
        const h = value(h1, `hyperion_timex_${name}`);
        assert.ok(h !== undefined, `hyperion_timex_${name} missing`);
        assert.ok(
          same(h, value(n, `node_timex_${name}`)!),
          `${name}: ${h} and ${value(n, `node_timex_${name}`)}`,
        );
      }
      // The maximum error grows by 500 µs each second until the kernel caps it at 16 s; the offset
      // moves under an NTP client's corrections: both within a millisecond of Hyperion's readings.
      between('hyperion_timex_maxerror_seconds', 'node_timex_maxerror_seconds', 0.001);
      between('hyperion_timex_estimated_error_seconds', 'node_timex_estimated_error_seconds', 0.001);
      between('hyperion_timex_offset_seconds', 'node_timex_offset_seconds', 0.001);
    });

    it('time: the same clock sources, available and current', () => {
      for (const family of ['clocksource_available_info', 'clocksource_current_info']) {
        const h = asNode(h1, `hyperion_time_${family}`);
        assertSameSeries(h, nodeSeries(n, `node_time_${family}`), family);
      }
    });

    it('textfile: the same metrics, the same mtimes, no error', () => {
      const textfileNames = new Set(
        n.filter((s) => /^(backup_|queue_|prometheus_)/.test(s.name)).map((s) => s.name),
      );
      assert.ok(textfileNames.size >= 6, `node_exporter read the files: ${[...textfileNames].join(', ')}`);
      const pick = (samples: ParsedSample[]) => index(samples.filter((s) => textfileNames.has(s.name)));
      const [h, v] = [pick(h1), pick(n)];
      assert.deepEqual([...h.keys()].sort(), [...v.keys()].sort());
      for (const [series, nv] of v)
        assert.ok(same(h.get(series)!, nv), `${series}: ${h.get(series)} / ${nv}`);
      assert.equal(value(h1, 'hyperion_textfile_scrape_error'), 0);
      assert.equal(value(n, 'node_textfile_scrape_error'), 0);
      // node_exporter 1.5 labels the mtime with the file's name, newer ones with its path.
      const mtimes = (samples: ParsedSample[], name: string) =>
        samples
          .filter((s) => s.name === name)
          .map((s) => `${path.basename(s.labels.file!)}=${s.value}`)
          .sort();
      assert.deepEqual(
        mtimes(h1, 'hyperion_textfile_mtime_seconds'),
        mtimes(n, 'node_textfile_mtime_seconds'),
      );
      assert.equal(mtimes(h1, 'hyperion_textfile_mtime_seconds').length, 3);
    });

    it('textfile: a broken file is an error for both, and the good files are still served', async () => {
      const file = path.join(textDir, 'broken.prom');
      writeFileSync(`${file}.tmp`, 'half_written{job="x 1\n');
      renameSync(`${file}.tmp`, file);
      try {
        await readAll();
        assert.equal(value(h1, 'hyperion_textfile_scrape_error'), 1);
        assert.equal(value(n, 'node_textfile_scrape_error'), 1);
        assert.equal(
          value(h1, 'queue_length', { queue: 'outgoing' }),
          value(n, 'queue_length', { queue: 'outgoing' }),
        );
        assert.equal(value(h1, 'queue_length', { queue: 'outgoing' }), 3);
      } finally {
        rmSync(file, { force: true });
      }
    });

    it('mdadm and bonding: this kernel has neither md nor bonding, and neither exporter invents any', () => {
      for (const samples of [h1, n])
        assert.deepEqual(
          samples.filter((s) => /^(node|hyperion)_(md|bonding)_/.test(s.name)).map((s) => s.name),
          [],
        );
      assert.equal(value(h1, 'hyperion_scrape_collector_success', { collector: 'mdadm' }), 1);
      assert.equal(value(h1, 'hyperion_scrape_collector_success', { collector: 'bonding' }), 1);
    });
  });

  describe('on the fixture trees, what this VM does not have', () => {
    it('hwmon: the same chip names (from the device path) and the same temperatures', async () => {
      const sysfs = path.join(FIXTURES, 'constructed/sys');
      const [h, v] = await Promise.all([
        hyperionOn(hwmonCollector, { sysfs }),
        nodeOn('hwmon', [`--path.sysfs=${sysfs}`]),
      ]);
      // node_exporter also reads sensor files from a chip's device/ directory; for the chip of a
      // thermal zone that is the zone's own `temp` file, which it names sensor "temp0": the zone's
      // temperature again (Hyperion's is hyperion_thermal_zone_temp_celsius). Left out, by name.
      const zoneAgain = (s: ParsedSample) =>
        !(s.labels.chip === 'thermal_thermal_zone0' && s.labels.sensor === 'temp0');
      assert.equal(
        v.filter((s) => !zoneAgain(s)).length,
        1,
        'the one series node_exporter reads from device/',
      );
      for (const family of ['temp_celsius', 'temp_max_celsius', 'temp_crit_celsius', 'chip_names']) {
        // Hyperion keeps each sensor's label on the series; node_exporter in node_hwmon_sensor_label.
        assertSameSeries(
          asNode(h, `hyperion_hwmon_${family}`, ['label']),
          nodeSeries(v.filter(zoneAgain), `node_hwmon_${family}`),
          `hwmon ${family}`,
        );
      }
    });

    /**
     * Arrays where Hyperion says more: a reshape is its own state (node_exporter 1.5 calls it
     * plain "active" and reports the array fully synced).
     */
    const DIFFERENCES: Record<string, string[]> = { recovery: ['md3'] };

    for (const tree of ['healthy', 'degraded', 'resync', 'recovery']) {
      it(`mdadm (${tree}): the same states, disks, sizes and sync progress`, async () => {
        const procfs = path.join(FIXTURES, 'mdstat', tree);
        const [h, v] = await Promise.all([
          hyperionOn(mdadmCollector, { procfs }),
          nodeOn('mdadm', [`--path.procfs=${procfs}`]),
        ]);
        const skip = DIFFERENCES[tree] ?? [];
        const keep = (samples: ParsedSample[]) =>
          samples.filter(
            (s) =>
              !skip.includes(s.labels.device!) &&
              s.name !== 'hyperion_md_sync_completed_ratio' && // Hyperion's own
              s.labels.state !== 'reshape',
          );
        assertSameSeries(asNode(keep(h), 'hyperion_md_'), nodeSeries(keep(v), 'node_md_'), `mdadm ${tree}`);
        for (const device of skip) {
          assert.equal(index(v).get(key('node_md_state', { device, state: 'active' })), 1);
          assert.equal(index(h).get(key('hyperion_md_state', { device, state: 'reshape' })), 1);
        }
      });
    }

    it('bonding: the same slaves and active slaves per bond', async () => {
      const sysfs = path.join(FIXTURES, 'bonding/sys');
      const [h, v] = await Promise.all([
        hyperionOn(bondingCollector, { sysfs }),
        nodeOn('bonding', [`--path.sysfs=${sysfs}`]),
      ]);
      const keep = h.filter((s) => s.name !== 'hyperion_bonding_slave_up'); // Hyperion's own
      assertSameSeries(asNode(keep, 'hyperion_bonding_'), nodeSeries(v, 'node_bonding_'), 'bonding');
    });

    for (const tree of ['constructed', 'netns', 'conntrack-4.9']) {
      it(`conntrack (${tree}): the same table size, limit and summed per-CPU counters`, async () => {
        const procfs = path.join(FIXTURES, tree, 'proc');
        const [h, v] = await Promise.all([
          hyperionOn(conntrackCollector, { procfs }),
          nodeOn('conntrack', [`--path.procfs=${procfs}`]),
        ]);
        assertSameSeries(
          asNode(h, 'hyperion_nf_conntrack_'),
          nodeSeries(v, 'node_nf_conntrack_'),
          'conntrack',
        );
      });
    }

    it('filefd, vmstat and time on the captured tree: the same values', async () => {
      const paths = {
        procfs: path.join(FIXTURES, 'captured/proc'),
        sysfs: path.join(FIXTURES, 'captured/sys'),
      };
      const flags = [`--path.procfs=${paths.procfs}`, `--path.sysfs=${paths.sysfs}`];
      for (const [collector, name, prefix] of [
        [filefdCollector, 'filefd', 'filefd_'],
        [vmstatCollector, 'vmstat', 'vmstat_'],
        [timeCollector, 'time', 'time_clocksource_'],
      ] as const) {
        const [h, v] = await Promise.all([hyperionOn(collector, paths), nodeOn(name, flags)]);
        assertSameSeries(asNode(h, `hyperion_${prefix}`), nodeSeries(v, `node_${prefix}`), name);
      }
    });
  });
});
