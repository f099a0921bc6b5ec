import assert from 'node:assert/strict';
import { cpSync, readdirSync, symlinkSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { textfileCollector } from '../../../src/collectors/textfile.js';
import { renderFamilies } from '../../../src/server/exposition.js';
import { LocalHost } from '../../../src/hosts/local-host.js';
import { FIXTURES, collect, defaultSettings, family, silentLog, tempDir, value } from '../helpers.js';

/** A copy of a fixture directory with known modification times (git keeps none). */
function copy(name: string): { dir: string; cleanup: () => void; mtime: (file: string) => number } {
  const tmp = tempDir('hyperion-textfile-');
  const dir = path.join(tmp.dir, 'textfile');
  cpSync(path.join(FIXTURES, 'textfile', name), dir, { recursive: true });
  const mtimes = new Map<string, number>();
  readdirSync(dir).forEach((file, i) => {
    const seconds = 1796000000 + i * 60;
    utimesSync(path.join(dir, file), seconds, seconds + 0.75);
    mtimes.set(file, seconds);
  });
  return { dir, cleanup: tmp.cleanup, mtime: (file) => mtimes.get(file)! };
}

const run = (dir: string) => collect(textfileCollector, {}, { ...defaultSettings(), textfileDirectory: dir });

describe('textfile collector', () => {
  it('merges the metrics of every *.prom file into the scrape, with each file’s mtime', async () => {
    const t = copy('good');
    try {
      const { families } = await run(t.dir);
      assert.equal(value(families, 'hyperion_textfile_scrape_error'), 0);
      // the same family in two files is one family
      const last = family(families, 'backup_last_success_timestamp_seconds')!;
      assert.deepEqual(
        last.samples.map((s) => s.labels.job),
        ['db', 'files', 'mail'],
      );
      assert.equal(last.help, 'When the backup last succeeded.\nSet by backup.sh.');
      // an empty label is dropped: it is no label to Prometheus
      assert.equal(value(families, 'backup_bytes_total', { job: 'files' }), 1048576);
      assert.equal(
        value(families, 'prometheus_http_requests_total', { code: '200', handler: '/metrics' }),
        1,
      );
      // without HELP: node_exporter's text, naming the file
      assert.equal(family(families, 'queue_length')!.help, `Metric read from ${t.dir}/queue.prom`);
      assert.equal(family(families, 'not_a_textfile_metric'), undefined, 'notes.txt is not a *.prom file');
      const mtimes = family(families, 'hyperion_textfile_mtime_seconds')!.samples;
      assert.deepEqual(
        mtimes.map((s) => [s.labels.file, s.value]),
        ['backup.prom', 'prometheus.prom', 'queue.prom'].map((f) => [`${t.dir}/${f}`, t.mtime(f)]),
      );
    } finally {
      t.cleanup();
    }
  });

  it('renders summaries and histograms back with their sample names, as read', async () => {
    const t = copy('good');
    try {
      const text = renderFamilies((await run(t.dir)).families);
      assert.match(text, /^# TYPE go_gc_duration_seconds summary$/m);
      assert.match(text, /^go_gc_duration_seconds\{quantile="0.5"\} 0.000426272$/m);
      assert.match(text, /^go_gc_duration_seconds_count 4$/m);
      assert.match(
        text,
        /^prometheus_http_request_duration_seconds_bucket\{handler="\/metrics",le="\+Inf"\} 1$/m,
      );
      assert.match(
        text,
        /^backup_last_success_timestamp_seconds\{job="files",path="C:\\\\temp\\\\x",note="line one\\nline two"\} 1796600000$/m,
      );
      assert.match(text, /^backup_ratio \+Inf$/m);
    } finally {
      t.cleanup();
    }
  });

  it('leaves out a bad file whole, or a contradicting family alone, and says so — the rest is served', async () => {
    const t = copy('mixed');
    try {
      const { families } = await run(t.dir);
      assert.equal(value(families, 'hyperion_textfile_scrape_error'), 1);
      // a.prom is the first word on cron_job_last_run_seconds; conflict.prom (another type),
      // dup.prom (the same series) and help.prom (another HELP) lose their copy of it.
      const cron = family(families, 'cron_job_last_run_seconds')!;
      assert.deepEqual(
        cron.samples.map((s) => [s.labels.job, s.value]),
        [['a', 1796000000]],
      );
      assert.equal(cron.type, 'untyped');
      assert.equal(cron.help, 'When the cron job last ran.');
      // …and keep their other families
      for (const name of ['conflict_other', 'dup_other', 'help_other', 'reserved_ok'])
        assert.ok(family(families, name), `${name} is served`);
      // broken.prom (a parse error) and timestamps.prom are left out whole, good lines too
      for (const name of ['broken_before', 'stamped_ok', 'stamped_metric'])
        assert.equal(family(families, name), undefined, `${name} is left out`);
      // a family named like the exporter's own never reaches the scrape
      assert.equal(family(families, 'hyperion_cpu_seconds_total'), undefined);
      // mtimes: the files that were read and parsed, not the broken ones nor the directory
      assert.deepEqual(
        family(families, 'hyperion_textfile_mtime_seconds')!.samples.map((s) =>
          path.basename(s.labels.file!),
        ),
        ['a.prom', 'conflict.prom', 'dup.prom', 'help.prom', 'reserved.prom'],
      );
      // and the whole result is a valid exposition: no family twice
      assert.doesNotThrow(() => renderFamilies(families));
    } finally {
      t.cleanup();
    }
  });

  it('reports an unreadable file and a missing directory as errors, without failing the collector', async () => {
    const t = copy('good');
    try {
      // A link to a file a job has just removed: listed, but not readable.
      symlinkSync(path.join(t.dir, 'removed.txt'), path.join(t.dir, 'dangling.prom'));
      const { families } = await run(t.dir);
      assert.equal(value(families, 'hyperion_textfile_scrape_error'), 1);
      assert.equal(value(families, 'queue_length', { queue: 'outgoing' }), 3, 'the other files are served');
      const missing = await run(path.join(t.dir, 'no-such-directory'));
      assert.deepEqual(
        missing.families.map((f) => [f.name, f.samples[0]!.value]),
        [['hyperion_textfile_scrape_error', 1]],
      );
    } finally {
      t.cleanup();
    }
  });

  it('takes a /probe host without the directory for a host without textfiles, not an error', async () => {
    const t = copy('good');
    try {
      const settings = { ...defaultSettings(), textfileDirectory: path.join(t.dir, 'absent') };
      const remote = await textfileCollector.collect({
        host: new LocalHost({}, 'far'),
        log: silentLog,
        settings,
        skipped: () => () => undefined,
      });
      assert.deepEqual(
        remote.map((f) => [f.name, f.samples[0]!.value]),
        [['hyperion_textfile_scrape_error', 0]],
      );
      // a directory that exists is read on any host
      const found = await textfileCollector.collect({
        host: new LocalHost({}, 'far'),
        log: silentLog,
        settings: { ...settings, textfileDirectory: t.dir },
        skipped: () => () => undefined,
      });
      assert.equal(value(found, 'queue_length', { queue: 'outgoing' }), 3);
    } finally {
      t.cleanup();
    }
  });

  it('exports nothing at all when no directory is configured', async () => {
    assert.deepEqual((await run('')).families, []);
  });
});
