/**
 * Issue 2, against a live exporter: the exposition passes promtool, the HTTP surface behaves
 * (landing page, Content-Type, 404/400 problems, collect[] filter, --no-collector), a broken
 * collector is isolated, the values agree with the kernel's own figures read at the same moment,
 * and the CLI answers --version and --help. The Prometheus scrape lives in prometheus-scrape.test.ts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { EXPORTER_DIR, startExporter, type RunningExporter } from '../support/exporter.js';
import { parseExposition, select, valueOf, type ParsedSample } from '../support/exposition.js';
import { checkMetrics } from '../support/promtool.js';

const run = promisify(execFile);

/**
 * The default collectors (issues 2 and 16); each must be switchable with --collector.NAME /
 * --no-collector.NAME.
 */
const COLLECTORS = [
  'bonding',
  'conntrack',
  'cpu',
  'diskstats',
  'filefd',
  'filesystem',
  'hwmon',
  'loadavg',
  'mdadm',
  'meminfo',
  'netdev',
  'pressure',
  'processes',
  'system',
  'textfile',
  'thermal',
  'time',
  'timex',
  'vmstat',
];
/**
 * Collectors that exist but are off by default (sockets: issue 5's connection counts, costly;
 * systemd: every selected unit is read over D-Bus at each scrape).
 */
const OPT_IN = ['sockets', 'systemd'];

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(path.join(EXPORTER_DIR, 'package.json'), 'utf8')) as { version: string }
).version;

const MiB = 1024 * 1024;

async function scrape(url: string): Promise<{ status: number; contentType: string; text: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

async function scrapeSamples(url: string): Promise<ParsedSample[]> {
  const res = await scrape(url);
  assert.equal(res.status, 200, res.text);
  return parseExposition(res.text).samples;
}

function successByCollector(samples: readonly ParsedSample[]): Map<string, number> {
  return new Map(
    select(samples, 'hyperion_scrape_collector_success').map((s) => [s.labels.collector!, s.value]),
  );
}

/** Runs the exporter's CLI from source (as startExporter does) for one-shot flags. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
      cwd: EXPORTER_DIR,
      timeout: 20_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

// ---- the truth, read straight from the kernel and from df ----

function meminfoBytes(field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync('/proc/meminfo', 'utf8'));
  assert.ok(m, `/proc/meminfo has no ${field}`);
  return Number(m[1]) * 1024;
}

type NetDev = Map<string, { rx: number; tx: number }>;

function netDev(): NetDev {
  const devices: NetDev = new Map();
  for (const line of readFileSync('/proc/net/dev', 'utf8').split('\n').slice(2)) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const fields = m[2]!.trim().split(/\s+/).map(Number);
    devices.set(m[1]!, { rx: fields[0]!, tx: fields[8]! });
  }
  return devices;
}

async function dfRoot(): Promise<{ size: number; avail: number }> {
  const { stdout } = await run('df', ['-B1', '--output=size,avail', '/'], { timeout: 10_000 });
  const [size, avail] = stdout.trim().split('\n')[1]!.trim().split(/\s+/).map(Number);
  return { size: size!, avail: avail! };
}

function assertBetween(value: number, low: number, high: number, what: string): void {
  assert.ok(value >= low && value <= high, `${what}: ${value} is not within [${low}, ${high}]`);
}

describe('a live exporter', { timeout: 90_000 }, () => {
  let exporter: RunningExporter;
  let faulty: RunningExporter;
  let trimmed: RunningExporter;
  let emptySysfs: string;

  before(async () => {
    emptySysfs = mkdtempSync(path.join(os.tmpdir(), 'hyperion-empty-sysfs-'));
    [exporter, faulty, trimmed] = await Promise.all([
      startExporter(),
      startExporter({ args: [`--path.sysfs=${emptySysfs}`] }),
      startExporter({ args: ['--no-collector.loadavg', '--web.telemetry-path=/custom'] }),
    ]);
  });

  after(async () => {
    await Promise.all([exporter?.stop(), faulty?.stop(), trimmed?.stop()]);
    rmSync(emptySysfs, { recursive: true, force: true });
  });

  it('serves /metrics that promtool check metrics accepts without a single problem', async () => {
    const res = await scrape(`${exporter.url}/metrics`);
    assert.equal(res.status, 200);
    const { ok, problems } = await checkMetrics(res.text);
    assert.ok(ok, `promtool check metrics reported:\n${problems}`);
  });

  it('answers /metrics with the Prometheus text format content type', async () => {
    const res = await scrape(`${exporter.url}/metrics`);
    assert.equal(res.contentType, 'text/plain; version=0.0.4; charset=utf-8');
  });

  it('exports every required family once per label set, with HELP and TYPE, and every collector succeeding', async () => {
    const text = (await scrape(`${exporter.url}/metrics`)).text;
    const { samples, types, help } = parseExposition(text);
    const required: [string, string][] = [
      ['hyperion_cpu_seconds_total', 'counter'],
      ['hyperion_load1', 'gauge'],
      ['hyperion_load5', 'gauge'],
      ['hyperion_load15', 'gauge'],
      ...['total', 'available', 'free', 'buffers', 'cached', 'swap_total', 'swap_free'].map(
        (f): [string, string] => [`hyperion_memory_${f}_bytes`, 'gauge'],
      ),
      ['hyperion_filesystem_size_bytes', 'gauge'],
      ['hyperion_filesystem_avail_bytes', 'gauge'],
      ['hyperion_filesystem_free_bytes', 'gauge'],
      ['hyperion_filesystem_files', 'gauge'],
      ['hyperion_filesystem_files_free', 'gauge'],
      ['hyperion_filesystem_readonly', 'gauge'],
      ['hyperion_network_receive_bytes_total', 'counter'],
      ['hyperion_network_transmit_bytes_total', 'counter'],
      ['hyperion_network_receive_packets_total', 'counter'],
      ['hyperion_network_up', 'gauge'],
      ['hyperion_network_mtu_bytes', 'gauge'],
      ['hyperion_processes', 'gauge'],
      ['hyperion_processes_threads', 'gauge'],
      ['hyperion_processes_max', 'gauge'],
      ['hyperion_forks_total', 'counter'],
      ['hyperion_boot_time_seconds', 'gauge'],
      ['hyperion_time_seconds', 'gauge'],
      ['hyperion_host_info', 'gauge'],
      ['hyperion_exporter_build_info', 'gauge'],
      ['hyperion_config_last_reload_successful', 'gauge'],
      ['hyperion_config_last_reload_success_timestamp_seconds', 'gauge'],
      ['hyperion_scrape_collector_success', 'gauge'],
      ['hyperion_scrape_collector_duration_seconds', 'gauge'],
      ['process_resident_memory_bytes', 'gauge'],
      ['nodejs_heap_size_used_bytes', 'gauge'],
    ];
    // Pressure stall information is required wherever the kernel offers it.
    if (existsSync('/proc/pressure/cpu')) {
      required.push(['hyperion_pressure_cpu_waiting_seconds_total', 'counter']);
      required.push(['hyperion_pressure_io_stalled_seconds_total', 'counter']);
    }
    for (const [name, type] of required) {
      assert.ok(select(samples, name).length > 0, `${name} is missing`);
      assert.equal(types.get(name), type, `# TYPE of ${name}`);
    }

    const seen = new Set<string>();
    for (const s of samples) {
      const key = `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`;
      assert.ok(!seen.has(key), `duplicate series ${key}`);
      seen.add(key);
      if (s.name.startsWith('hyperion_')) {
        assert.ok(types.has(s.name) && help.get(s.name), `${s.name} lacks # TYPE or # HELP`);
      }
    }

    const cpu = select(samples, 'hyperion_cpu_seconds_total')[0]!;
    assert.deepEqual(Object.keys(cpu.labels).sort(), ['cpu', 'mode']);
    const fs = select(samples, 'hyperion_filesystem_size_bytes')[0]!;
    assert.deepEqual(Object.keys(fs.labels).sort(), ['device', 'fstype', 'mountpoint']);
    const info = select(samples, 'hyperion_host_info')[0]!;
    assert.deepEqual(Object.keys(info.labels).sort(), ['arch', 'hostname', 'kernel', 'machine_id', 'os']);
    assert.equal(info.labels.hostname, os.hostname());
    assert.equal(info.labels.kernel, os.release());
    assert.equal(valueOf(samples, 'hyperion_exporter_build_info', { version: PACKAGE_VERSION }), 1);

    const success = successByCollector(samples);
    assert.deepEqual([...success.keys()].sort(), COLLECTORS);
    for (const [collector, value] of success) assert.equal(value, 1, `collector ${collector} failed`);
  });

  it('has a landing page at / that links to /metrics', async () => {
    const res = await scrape(`${exporter.url}/`);
    assert.equal(res.status, 200);
    assert.match(res.contentType, /^text\/html/);
    assert.match(res.text, /<a href="\/metrics">/);
  });

  it("keeps an idle connection longer than Grafana's proxy does, so the client is the one to close it", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ status: number; keepAlive: string; reused: boolean }>((resolve, reject) => {
        const req = http.get(`${exporter.url}/`, { agent }, (res) => {
          res.resume();
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              keepAlive: String(res.headers['keep-alive']),
              reused: req.reusedSocket,
            }),
          );
        });
        req.on('error', reject);
      });
    try {
      const first = await get();
      assert.equal(first.status, 200);
      // Grafana keeps idle connections 90 s ([dataproxy] idle_conn_timeout_seconds).
      assert.ok(Number(/timeout=(\d+)/.exec(first.keepAlive)?.[1]) > 90, `Keep-Alive: ${first.keepAlive}`);
      await delay(6000); // past Node's default of 5 s
      const second = await get();
      assert.equal(second.status, 200);
      assert.equal(second.reused, true, 'the connection was still open');
    } finally {
      agent.destroy();
    }
  });

  it('answers an unknown path with 404 and a problem document', async () => {
    const res = await scrape(`${exporter.url}/no/such/page`);
    assert.equal(res.status, 404);
    assert.match(res.contentType, /^application\/problem\+json/);
    const problem = JSON.parse(res.text) as { status: number; title: string; detail: string };
    assert.equal(problem.status, 404);
    assert.ok(problem.title.length > 0);
    assert.match(problem.detail, /\/no\/such\/page/);
  });

  it('answers collect[]=nope with 400 and a message naming the collector', async () => {
    const res = await scrape(`${exporter.url}/metrics?collect[]=cpu&collect[]=nope`);
    assert.equal(res.status, 400);
    assert.match(res.contentType, /^application\/problem\+json/);
    const problem = JSON.parse(res.text) as { status: number; detail: string };
    assert.equal(problem.status, 400);
    assert.match(problem.detail, /"nope"/);
  });

  it('serves only the collectors collect[] asks for', async () => {
    const samples = await scrapeSamples(`${exporter.url}/metrics?collect[]=cpu&collect[]=meminfo`);
    assert.deepEqual([...successByCollector(samples).keys()].sort(), ['cpu', 'meminfo']);
    assert.ok(select(samples, 'hyperion_cpu_seconds_total').length > 0);
    assert.ok(select(samples, 'hyperion_memory_total_bytes').length > 0);
    const foreign = samples
      .map((s) => s.name)
      .filter((n) => n.startsWith('hyperion_'))
      // The exporter's own security counters are always there (from 0, so rate() has a start).
      .filter((n) => !/^hyperion_(cpu_|memory_|scrape_collector_|exporter_build_info$)/.test(n))
      .filter((n) => !/^hyperion_(otp_|unauthenticated_requests_total$|audit_suppressed_total$)/.test(n))
      // …and so is the state of the configuration reload.
      .filter((n) => !/^hyperion_config_last_reload_/.test(n));
    assert.deepEqual([...new Set(foreign)], [], 'series of collectors that were not asked for');
  });

  it("reads collect[] percent-encoded, as Prometheus sends a job's params, and answers HEAD alike", async () => {
    // Prometheus encodes `params: {collect[]: [loadavg]}` as collect%5B%5D=loadavg.
    const samples = await scrapeSamples(`${exporter.url}/metrics?collect%5B%5D=loadavg`);
    assert.deepEqual([...successByCollector(samples).keys()], ['loadavg']);
    const refused = await scrape(`${exporter.url}/metrics?collect%5B%5D=nope`);
    assert.equal(refused.status, 400);
    const head = await fetch(`${exporter.url}/metrics`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.match(head.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.equal(await head.text(), '');
    const post = await fetch(`${exporter.url}/metrics`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 404);
  });

  it('drops a collector disabled with --no-collector.NAME and serves the telemetry path it was given', async () => {
    const samples = await scrapeSamples(`${trimmed.url}/custom`);
    assert.equal(select(samples, 'hyperion_load1').length, 0);
    assert.equal(successByCollector(samples).has('loadavg'), false);
    assert.equal(successByCollector(samples).get('cpu'), 1);
    assert.equal((await scrape(`${trimmed.url}/metrics`)).status, 404);
    assert.match((await scrape(`${trimmed.url}/`)).text, /<a href="\/custom">/);
    const asked = await scrape(`${trimmed.url}/custom?collect[]=loadavg`);
    assert.equal(asked.status, 400);
    assert.match(asked.text, /loadavg/);
  });

  it('isolates a failing collector: empty sysfs fails netdev only, and the scrape still succeeds', async () => {
    const res = await scrape(`${faulty.url}/metrics`);
    assert.equal(res.status, 200);
    const { samples } = parseExposition(res.text);
    const success = successByCollector(samples);
    assert.equal(success.get('netdev'), 0);
    for (const collector of COLLECTORS.filter((c) => c !== 'netdev')) {
      assert.equal(success.get(collector), 1, `collector ${collector} should not fail without sysfs`);
    }
    assert.equal(select(samples, 'hyperion_network_receive_bytes_total').length, 0, 'netdev series leaked');
    assert.ok(select(samples, 'hyperion_cpu_seconds_total').length > 0);
    assert.ok(select(samples, 'hyperion_memory_total_bytes').length > 0);
  });

  it('agrees with /proc/meminfo, df and /proc/net/dev read around the same scrape', async () => {
    const memBefore = meminfoBytes('MemAvailable');
    const netBefore = netDev();
    const dfBefore = await dfRoot();
    const samples = await scrapeSamples(
      `${exporter.url}/metrics?collect[]=meminfo&collect[]=filesystem&collect[]=netdev`,
    );
    const netAfter = netDev();
    const memAfter = meminfoBytes('MemAvailable');
    const dfAfter = await dfRoot();

    assert.equal(valueOf(samples, 'hyperion_memory_total_bytes'), meminfoBytes('MemTotal'));
    // Other processes allocate while we look: allow what moved between the reads, plus a little.
    assertBetween(
      valueOf(samples, 'hyperion_memory_available_bytes'),
      Math.min(memBefore, memAfter) - 64 * MiB,
      Math.max(memBefore, memAfter) + 64 * MiB,
      'MemAvailable',
    );

    assert.equal(dfBefore.size, dfAfter.size, '/ changed size during the test');
    assert.equal(valueOf(samples, 'hyperion_filesystem_size_bytes', { mountpoint: '/' }), dfBefore.size);
    assertBetween(
      valueOf(samples, 'hyperion_filesystem_avail_bytes', { mountpoint: '/' }),
      Math.min(dfBefore.avail, dfAfter.avail) - 64 * MiB,
      Math.max(dfBefore.avail, dfAfter.avail) + 64 * MiB,
      '/ available bytes',
    );

    // Counters only grow, so the exporter's reading must fall between ours, exactly.
    assert.ok(netBefore.has('lo'), 'no loopback interface in /proc/net/dev');
    for (const [device, before] of netBefore) {
      const afterDev = netAfter.get(device);
      if (afterDev === undefined) continue; // an interface that vanished meanwhile
      const rx = valueOf(samples, 'hyperion_network_receive_bytes_total', { device });
      const tx = valueOf(samples, 'hyperion_network_transmit_bytes_total', { device });
      assertBetween(rx, before.rx, afterDev.rx, `${device} receive bytes`);
      assertBetween(tx, before.tx, afterDev.tx, `${device} transmit bytes`);
    }
  });

  it('agrees with /proc/stat on boot time and the number of CPUs', async () => {
    const stat = readFileSync('/proc/stat', 'utf8');
    const samples = await scrapeSamples(`${exporter.url}/metrics?collect[]=cpu&collect[]=system`);
    const btime = Number(/^btime (\d+)$/m.exec(stat)?.[1]);
    assert.equal(valueOf(samples, 'hyperion_boot_time_seconds'), btime);
    const cpus = new Set(select(samples, 'hyperion_cpu_seconds_total').map((s) => s.labels.cpu));
    assert.equal(cpus.size, stat.match(/^cpu\d+ /gm)?.length);
    const idle = valueOf(samples, 'hyperion_cpu_seconds_total', { cpu: '0', mode: 'idle' });
    // /proc/stat counts USER_HZ (100 per second) ticks; the exporter must export seconds.
    const idleTicks = Number(/^cpu0 (?:\d+ ){3}(\d+)/m.exec(stat)?.[1]);
    assertBetween(idle, idleTicks / 100, idleTicks / 100 + 60, 'cpu0 idle seconds');
  });
});

describe('the command line', { timeout: 60_000 }, () => {
  it('prints the package version for --version', async () => {
    const { code, stdout } = await cli('--version');
    assert.equal(code, 0);
    assert.equal(stdout.trim(), PACKAGE_VERSION);
  });

  it('lists every flag for --help, with a default port outside Prometheus’ and the ephemeral ranges', async () => {
    const { code, stdout } = await cli('--help');
    assert.equal(code, 0);
    const flags = [
      '--web.listen-address',
      '--web.telemetry-path',
      '--path.procfs',
      '--path.sysfs',
      '--path.rootfs',
      '--storage.path',
      '--log.level',
      '--log.format',
      '--collector.vmstat.fields',
      '--collector.textfile.directory',
      '--version',
      '--help',
      ...[...COLLECTORS, ...OPT_IN].flatMap((c) => [`--collector.${c}`, `--no-collector.${c}`]),
    ];
    for (const flag of flags) assert.match(stdout, new RegExp(`${flag.replace(/\./g, '\\.')}\\b`), flag);
    const port = Number(/--web\.listen-address[^\n]*\n?[^\n]*default: "[^"]*:(\d+)"/.exec(stdout)?.[1]);
    assert.ok(Number.isInteger(port), `no default port in --help:\n${stdout}`);
    assert.ok(port < 9100 || (port > 9999 && port < 32768), `default port ${port}`);
  });

  it('refuses a malformed flag value with a message and a non-zero exit', async () => {
    const { code, stderr } = await cli('--web.listen-address=nowhere');
    assert.notEqual(code, 0);
    assert.match(stderr, /--web\.listen-address/);
  });
});
