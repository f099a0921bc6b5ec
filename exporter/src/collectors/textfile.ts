import { parsePromText, type PromFamily } from '../parsers/prom-text.js';
import { errorMessage, isNotFound } from '../util/errors.js';
import { under } from '../util/paths.js';
import type { Collector, Labels, MetricFamily, Sample } from './collector.js';

/**
 * Names the exporter exports itself. A textfile family with one of them would put a second
 * family of that name (or a second sample of one series) into the scrape, which Prometheus
 * refuses whole: such a family is dropped and the error series set, as node_exporter does for a
 * family that contradicts another.
 */
const RESERVED_PREFIXES = ['hyperion_', 'process_', 'nodejs_'];

/** Prometheus treats a label with an empty value as absent: so does the check for duplicates. */
function withoutEmpty(labels: Labels): Labels {
  const out: Labels = {};
  for (const [name, value] of Object.entries(labels)) if (value !== '') out[name] = value;
  return out;
}

function seriesKey(name: string, labels: Labels): string {
  return JSON.stringify([name, ...Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1))]);
}

interface Merged {
  family: MetricFamily;
  /** Whether the help came from a HELP line (else it is "Metric read from …" at the end). */
  helped: boolean;
  files: string[];
}

/**
 * node_exporter's textfile collector: the metrics of every `*.prom` file in one directory join
 * the scrape, for what only a cron job or a script knows (a backup's last success, a queue's
 * length). A file is read whole on every scrape — write it to a temporary name and rename it
 * into place, so a scrape never sees half of it.
 *
 * A bad file never breaks the scrape: a file that cannot be read or parsed, or that gives a
 * sample a timestamp (the sample time is the scrape's), is left out entirely; a family that
 * contradicts one already read (another type or HELP text, a series twice) or takes a name the
 * exporter exports itself is left out alone. Each sets hyperion_textfile_scrape_error to 1 and is
 * logged with the file and the reason. hyperion_textfile_mtime_seconds{file} is exported for each
 * file read, so an alert can tell a job that stopped writing.
 */
export const textfileCollector: Collector = {
  name: 'textfile',
  description: 'Metrics from *.prom files in --collector.textfile.directory (cron jobs, scripts)',
  defaultEnabled: true,
  async collect({ host, settings, log }) {
    const dir = settings.textfileDirectory;
    if (dir === '') return [];
    let errored = false;
    const fail = (file: string, reason: string) => {
      errored = true;
      log.warn({ collector: 'textfile', file, reason }, 'textfile skipped');
    };

    let names: string[] = [];
    try {
      names = (await host.listDir(dir))
        .map((e) => e.name)
        .filter((n) => n.endsWith('.prom'))
        .sort();
    } catch (error) {
      // On the exporter's own host a missing directory is a mistake in the flag (node_exporter
      // says so too). A /probe target without it is a host whose jobs write no textfiles: the
      // flag names one directory for every host, and an alert for each such host would be noise.
      if (!(isNotFound(error) && host.name !== 'local'))
        fail(dir, `cannot list the directory: ${errorMessage(error)}`);
    }
    const files = names.map((n) => under(dir, n));
    const texts = await host.readFiles(files);

    const merged = new Map<string, Merged>();
    const series = new Set<string>();
    const parsed: string[] = [];
    for (const file of files) {
      const read = texts.get(file);
      if (!read?.ok) {
        fail(file, `cannot read it: ${errorMessage(read?.error)}`);
        continue;
      }
      let families: PromFamily[];
      try {
        families = parsePromText(read.text);
      } catch (error) {
        fail(file, errorMessage(error));
        continue;
      }
      if (families.some((f) => f.samples.some((s) => s.timestampMs !== undefined))) {
        fail(file, 'it gives samples a timestamp, which a textfile may not (the whole file is left out)');
        continue;
      }
      parsed.push(file);
      for (const f of families) {
        if (f.samples.length === 0) continue;
        const problem = conflict(f, merged.get(f.name), series);
        if (problem) {
          fail(file, `family ${f.name} left out: ${problem}`);
          continue;
        }
        const samples: Sample[] = f.samples.map((s) => ({
          labels: withoutEmpty(s.labels),
          value: s.value,
          ...(s.suffix === '' ? {} : { suffix: s.suffix }),
        }));
        for (const s of samples) series.add(seriesKey(f.name + (s.suffix ?? ''), s.labels));
        const existing = merged.get(f.name);
        if (existing) {
          existing.family.samples.push(...samples);
          existing.files.push(file);
          if (!existing.helped && f.help !== undefined) {
            existing.family.help = f.help;
            existing.helped = true;
          }
        } else {
          merged.set(f.name, {
            family: { name: f.name, help: f.help ?? '', type: f.type, samples },
            helped: f.help !== undefined,
            files: [file],
          });
        }
      }
    }

    // The modification time of the files read, taken after reading them, as node_exporter does.
    const stats = await host.statMany(parsed);
    const mtimes: Sample[] = [];
    for (const file of parsed) {
      const stat = stats.get(file);
      if (stat?.ok) mtimes.push({ labels: { file }, value: Math.floor(stat.stat.mtimeMs / 1000) });
      else fail(file, `cannot stat it: ${errorMessage(stat?.error)}`);
    }

    const out: MetricFamily[] = [...merged.values()].map(({ family, helped, files: from }) => ({
      ...family,
      help: helped ? family.help : `Metric read from ${from.join(', ')}`,
    }));
    if (mtimes.length > 0)
      out.push({
        name: 'hyperion_textfile_mtime_seconds',
        help: 'When each textfile read successfully was last modified (seconds since the epoch).',
        type: 'gauge',
        samples: mtimes,
      });
    out.push({
      name: 'hyperion_textfile_scrape_error',
      help: '1 if a textfile could not be read or used in this scrape (the log says which and why), 0 otherwise.',
      type: 'gauge',
      samples: [{ labels: {}, value: errored ? 1 : 0 }],
    });
    return out;
  },
};

/** Why a family cannot join the scrape, or undefined when it can. */
function conflict(
  f: PromFamily,
  earlier: Merged | undefined,
  series: ReadonlySet<string>,
): string | undefined {
  if (RESERVED_PREFIXES.some((p) => f.name.startsWith(p)))
    return `names starting with ${RESERVED_PREFIXES.join(', ')} are the exporter's own`;
  if (earlier) {
    if (earlier.family.type !== f.type)
      return `it is a ${f.type} here but a ${earlier.family.type} in ${earlier.files[0]}`;
    if (earlier.helped && f.help !== undefined && f.help !== earlier.family.help)
      return `its HELP differs from the one in ${earlier.files[0]}`;
  }
  for (const s of f.samples) {
    const name = f.name + s.suffix;
    if (series.has(seriesKey(name, withoutEmpty(s.labels))))
      return `series ${name}${JSON.stringify(withoutEmpty(s.labels))} is already in another file`;
  }
  return undefined;
}
