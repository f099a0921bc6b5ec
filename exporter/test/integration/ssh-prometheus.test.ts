/**
 * Discovery end to end: a real Prometheus runs the shipped example configuration
 * (examples/prometheus-ssh-hosts.yml) against a real exporter, with http_sd_configs pointed at
 * /api/v1/targets. It starts with no SSH host; one is then added and approved through the API,
 * and Prometheus scrapes it through /probe with instance = the host's name and its labels.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { startApi, type ApiFixture } from '../support/api.js';
import { EXPORTER_DIR } from '../support/exporter.js';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus.js';
import { promtool } from '../support/promtool.js';
import { addApprovedHost, generateKey, startSshd, type KeyPair, type RunningSshd } from '../support/sshd.js';

const EXAMPLE = path.join(EXPORTER_DIR, 'examples', 'prometheus-ssh-hosts.yml');
const PLACEHOLDER = 'hyperion-exporter.example.com:8470';

interface Job {
  scrape_interval?: string;
  scrape_timeout?: string;
  http_sd_configs: { url: string; refresh_interval?: string; authorization: { credentials_file: string } }[];
  authorization?: { credentials_file: string };
}

describe('Prometheus discovers SSH hosts through /api/v1/targets', () => {
  let api: ApiFixture;
  let key: KeyPair;
  let sshd: RunningSshd;
  let prom: RunningPrometheus;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hyperion-sd-'));

  before(async () => {
    key = generateKey();
    sshd = await startSshd({ authorizedKeys: [key.publicKey] });
    api = await startApi({ config: 'security:\n  otp: disabled\n' });
  });
  after(async () => {
    await prom?.stop();
    await api?.stop();
    await sshd?.stop();
    key?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes a host added through the API, as instance=<host name>, with its labels', async () => {
    // The shipped file, with only the exporter's address and the token's file put in; faster
    // intervals so the test takes seconds.
    const tokenFile = path.join(dir, 'viewer-token');
    writeFileSync(tokenFile, `${api.viewer.token}\n`, { mode: 0o600 });
    const exporterAddress = new URL(api.exporter.url).host;
    const text = readFileSync(EXAMPLE, 'utf8').replaceAll(PLACEHOLDER, exporterAddress);
    const config = parse(text) as { scrape_configs: Job[] };
    const job = config.scrape_configs[0]!;
    job.scrape_interval = '2s';
    job.scrape_timeout = '2s';
    job.http_sd_configs[0]!.refresh_interval = '1s';
    job.http_sd_configs[0]!.authorization.credentials_file = tokenFile;
    job.authorization!.credentials_file = tokenFile;
    const configYaml = stringify(config);
    const configFile = path.join(dir, 'prometheus.yml');
    writeFileSync(configFile, configYaml);
    const check = await promtool(['check', 'config', configFile]);
    assert.equal(check.code, 0, `${check.stdout}${check.stderr}`);

    prom = await startPrometheus({ configYaml });
    // Discovery works and finds nothing yet: no host, no target.
    await prom.waitFor('count(up{job="hyperion-ssh"}) or vector(0)', (r) => r[0]?.value === 0);

    await addApprovedHost(api.admin, {
      name: 'lab-1',
      sshd,
      keyFile: key.privateKeyFile,
      labels: { env: 'lab' },
    });

    const success = await prom.waitFor(
      'hyperion_probe_success{job="hyperion-ssh"}',
      (r) => r.length === 1 && r[0]!.value === 1,
      30_000,
    );
    assert.equal(success[0]!.metric.instance, 'lab-1');
    assert.equal(success[0]!.metric.env, 'lab', 'the inventory label reached the series');
    assert.equal(
      Object.keys(success[0]!.metric).filter((k) => k.startsWith('__') && k !== '__name__').length,
      0,
      'no __meta_ or __param_ label survives',
    );
    const memory = await prom.waitFor('hyperion_memory_total_bytes{instance="lab-1"}', (r) => r.length === 1);
    assert.ok(memory[0]!.value > 0);
    const up = await prom.query('up{job="hyperion-ssh",instance="lab-1"}');
    assert.equal(up[0]?.value, 1);

    // The target Prometheus scrapes is the exporter's /probe with the host as its parameter.
    const targets = await prom.api<{
      activeTargets: { scrapeUrl: string; labels: Record<string, string> }[];
    }>('targets');
    const active = targets.activeTargets.filter((t) => t.labels.job === 'hyperion-ssh');
    assert.deepEqual(
      active.map((t) => t.scrapeUrl),
      [`http://${exporterAddress}/probe?target=lab-1`],
    );
  });
});
