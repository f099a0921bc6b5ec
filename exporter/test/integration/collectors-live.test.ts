/**
 * The new collectors on this machine, beyond the comparison with node_exporter
 * (node-exporter-parity.test.ts):
 *
 * - conntrack: in a network namespace the test makes, with an nftables rule that has the kernel
 *   track connections and connections held open from a second namespace, the collector run
 *   inside the namespace reports the kernel's own count;
 * - bonding: a bond is made in a namespace with `ip link add … type bond` where the kernel has
 *   the bonding driver, and the collector must count its slaves and the ones up; this VM's kernel
 *   has no bonding driver (the command answers "Unknown device type"), and then the collector
 *   must report no bond and not fail — both outcomes are asserted, whichever the kernel gives;
 * - textfile: files appear, change and break while a live exporter is scraped: every scrape is
 *   a 200, a broken file only sets the error series;
 * - promtool check metrics is clean on the output of every new collector: live where this VM has
 *   the data, on the fixture trees (md arrays, bonds, hwmon chips) where it has not.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { bondingCollector } from '../../src/collectors/bonding.js';
import type { Collector } from '../../src/collectors/collector.js';
import { hwmonCollector } from '../../src/collectors/hwmon.js';
import { mdadmCollector } from '../../src/collectors/mdadm.js';
import type { HostPaths } from '../../src/hosts/host.js';
import { LocalHost } from '../../src/hosts/local-host.js';
import { renderFamilies } from '../../src/server/exposition.js';
import { EXPORTER_DIR, startExporter, type RunningExporter } from '../support/exporter.js';
import { parseExposition, select, valueOf, type ParsedSample } from '../support/exposition.js';
import { ADDR, Agent, createNetnsPair, inNamespace, type NetnsPair } from '../support/netns.js';
import { checkMetrics } from '../support/promtool.js';
import { defaultSettings } from '../unit/helpers.js';

const FIXTURES = path.join(EXPORTER_DIR, 'test/fixtures');
const COLLECT_HERE = path.join(EXPORTER_DIR, 'test/support/collect-here.ts');

/** Runs collectors inside a namespace the test made; their exposition, parsed. */
async function collectIn(ns: string, ...collectors: string[]): Promise<ParsedSample[]> {
  const r = await inNamespace(ns, [process.execPath, '--import', 'tsx', COLLECT_HERE, ...collectors]);
  assert.equal(r.code, 0, r.stderr);
  const samples = parseExposition(r.stdout).samples;
  for (const c of collectors)
    assert.equal(valueOf(samples, 'hyperion_scrape_collector_success', { collector: c }), 1, `${c} failed`);
  return samples;
}

async function conntrackCount(ns: string): Promise<number> {
  const r = await inNamespace(ns, ['cat', '/proc/sys/net/netfilter/nf_conntrack_count']);
  assert.equal(r.code, 0, r.stderr);
  return Number(r.stdout.trim());
}

async function ok(ns: string, ...argv: string[]): Promise<void> {
  const r = await inNamespace(ns, argv);
  assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
}

describe('the new collectors on this machine', { timeout: 180_000 }, () => {
  describe('in network namespaces the test makes', () => {
    let pair: NetnsPair;
    let server: Agent;
    let client: Agent;

    before(async () => {
      pair = await createNetnsPair('coll');
      [server, client] = await Promise.all([Agent.start(pair.a), Agent.start(pair.b)]);
    });

    after(async () => {
      await Promise.all([server?.stop(), client?.stop()]);
      await pair?.destroy();
    });

    it('conntrack: the count of a table with connections held open, as the kernel gives it', async () => {
      // Tracking starts with the first rule that asks for it, in this namespace only.
      await ok(pair.a, 'nft', 'add', 'table', 'inet', 'hyperion_test');
      await ok(
        pair.a,
        'nft',
        'add',
        'chain',
        'inet',
        'hyperion_test',
        'input',
        '{ type filter hook input priority 0; policy accept; }',
      );
      await ok(
        pair.a,
        'nft',
        'add',
        'rule',
        'inet',
        'hyperion_test',
        'input',
        'ct',
        'state',
        'new,established',
        'counter',
        'accept',
      );
      const idle = valueOf(await collectIn(pair.a, 'conntrack'), 'hyperion_nf_conntrack_entries');
      const port = Number((await server.request('listen', { host: ADDR.a, port: 0 })).port);
      const held = 6;
      for (let i = 0; i < held; i++)
        assert.equal((await client.connect(ADDR.a, port, { hold: true })).result, 'ok');
      const low = await conntrackCount(pair.a);
      const samples = await collectIn(pair.a, 'conntrack');
      const high = await conntrackCount(pair.a);
      const entries = valueOf(samples, 'hyperion_nf_conntrack_entries');
      assert.ok(entries >= idle + held, `${entries} entries with ${held} connections held (idle: ${idle})`);
      assert.ok(
        entries >= Math.min(low, high) && entries <= Math.max(low, high),
        `${entries} within [${low}, ${high}]`,
      );
      assert.ok(valueOf(samples, 'hyperion_nf_conntrack_entries_limit') > 0);
      assert.equal(select(samples, 'hyperion_nf_conntrack_stat_drop_total').length, 1);
    });

    it('bonding: a bond in a namespace is counted where the kernel has the driver; none, without failing, where not', async () => {
      const made = await inNamespace(pair.a, [
        'ip',
        'link',
        'add',
        'hypbond0',
        'type',
        'bond',
        'mode',
        'active-backup',
      ]);
      if (made.code !== 0) {
        // This VM: the kernel was built without bonding, so no bond can exist and none is reported.
        assert.match(made.stderr, /Unknown device type|not supported/i);
        const sysfs = await inNamespace(pair.a, ['cat', '/sys/class/net/bonding_masters']);
        assert.notEqual(sysfs.code, 0, 'no bonding driver, no bonding_masters');
        const samples = await collectIn(pair.a, 'bonding');
        assert.deepEqual(
          samples.filter((s) => s.name.startsWith('hyperion_bonding_')),
          [],
        );
        return;
      }
      for (const dev of ['hypd0', 'hypd1']) {
        await ok(pair.a, 'ip', 'link', 'add', dev, 'type', 'dummy');
        await ok(pair.a, 'ip', 'link', 'set', dev, 'master', 'hypbond0');
      }
      await ok(pair.a, 'ip', 'link', 'set', 'hypbond0', 'up');
      await ok(pair.a, 'ip', 'link', 'set', 'hypd1', 'down'); // its link goes down: the bond is degraded
      const samples = await collectIn(pair.a, 'bonding');
      assert.equal(valueOf(samples, 'hyperion_bonding_slaves', { master: 'hypbond0' }), 2);
      assert.equal(valueOf(samples, 'hyperion_bonding_active', { master: 'hypbond0' }), 1);
      assert.equal(valueOf(samples, 'hyperion_bonding_slave_up', { master: 'hypbond0', slave: 'hypd1' }), 0);
    });
  });

  describe('a live exporter with a textfile directory', () => {
    let dir: string;
    let exporter: RunningExporter;
    const put = (name: string, text: string) => {
      // As a cron job should: a temporary name, then a rename, so no scrape sees half a file.
      writeFileSync(path.join(dir, `.${name}.tmp`), text);
      renameSync(path.join(dir, `.${name}.tmp`), path.join(dir, name));
    };
    const scrape = async (query = '') => {
      const res = await fetch(`${exporter.url}/metrics${query}`, { signal: AbortSignal.timeout(10_000) });
      const text = await res.text();
      assert.equal(res.status, 200, text.slice(0, 300));
      return { text, samples: parseExposition(text).samples };
    };

    before(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'hyperion-textfile-live-'));
      exporter = await startExporter({ args: [`--collector.textfile.directory=${dir}`] });
    });

    after(async () => {
      await exporter?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('serves what the files say as they change, and a broken file never breaks the scrape', async () => {
      let { samples } = await scrape();
      assert.equal(valueOf(samples, 'hyperion_textfile_scrape_error'), 0);
      assert.deepEqual(select(samples, 'hyperion_textfile_mtime_seconds'), []);

      put(
        'backup.prom',
        '# TYPE backup_last_success_timestamp_seconds gauge\nbackup_last_success_timestamp_seconds{job="db"} 1796600000\n',
      );
      ({ samples } = await scrape());
      assert.equal(valueOf(samples, 'backup_last_success_timestamp_seconds', { job: 'db' }), 1796600000);
      assert.equal(
        select(samples, 'hyperion_textfile_mtime_seconds', { file: path.join(dir, 'backup.prom') }).length,
        1,
      );

      put('backup.prom', 'backup_last_success_timestamp_seconds{job="db"} 1796700000\n');
      ({ samples } = await scrape());
      assert.equal(valueOf(samples, 'backup_last_success_timestamp_seconds', { job: 'db' }), 1796700000);

      put('broken.prom', 'half_written{job="x 1\n');
      const broken = await scrape();
      assert.equal(valueOf(broken.samples, 'hyperion_textfile_scrape_error'), 1);
      assert.equal(
        valueOf(broken.samples, 'backup_last_success_timestamp_seconds', { job: 'db' }),
        1796700000,
      );
      assert.ok(
        select(broken.samples, 'hyperion_cpu_seconds_total').length > 0,
        'the rest of the scrape is there',
      );
      assert.equal(
        valueOf(broken.samples, 'hyperion_scrape_collector_success', { collector: 'textfile' }),
        1,
      );
      const lint = await checkMetrics(broken.text);
      assert.ok(lint.ok, `promtool check metrics:\n${lint.problems}`);

      rmSync(path.join(dir, 'broken.prom'));
      ({ samples } = await scrape());
      assert.equal(valueOf(samples, 'hyperion_textfile_scrape_error'), 0);
    });

    it('passes promtool check metrics on each new collector’s live output', async () => {
      put('prometheus.prom', readFixtureText('textfile/good/prometheus.prom'));
      put('backup.prom', readFixtureText('textfile/good/backup.prom'));
      for (const collector of [
        'filefd',
        'conntrack',
        'vmstat',
        'timex',
        'time',
        'textfile',
        'mdadm',
        'bonding',
        'hwmon',
      ]) {
        const { text, samples } = await scrape(`?collect[]=${collector}`);
        assert.equal(valueOf(samples, 'hyperion_scrape_collector_success', { collector }), 1, collector);
        const lint = await checkMetrics(text);
        assert.ok(lint.ok, `${collector}: promtool check metrics:\n${lint.problems}`);
      }
    });
  });

  it('passes promtool check metrics on the fixture trees of what this VM lacks: md arrays, bonds, hwmon chips', async () => {
    const cases: [string, Collector, Partial<HostPaths>][] = [
      ...['healthy', 'degraded', 'resync', 'recovery'].map(
        (tree): [string, Collector, Partial<HostPaths>] => [
          `mdadm ${tree}`,
          mdadmCollector,
          { procfs: path.join(FIXTURES, 'mdstat', tree) },
        ],
      ),
      ['bonding', bondingCollector, { sysfs: path.join(FIXTURES, 'bonding/sys') }],
      ['hwmon', hwmonCollector, { sysfs: path.join(FIXTURES, 'constructed/sys') }],
    ];
    for (const [what, collector, paths] of cases) {
      const families = await collector.collect({
        host: new LocalHost(paths),
        log: pino({ level: 'silent' }),
        settings: defaultSettings(),
        skipped: () => () => undefined,
      });
      assert.ok(families.length > 0, `${what}: something to check`);
      const lint = await checkMetrics(renderFamilies(families));
      assert.ok(lint.ok, `${what}: promtool check metrics:\n${lint.problems}`);
    }
  });
});

function readFixtureText(relative: string): string {
  return readFileSync(path.join(FIXTURES, relative), 'utf8');
}
