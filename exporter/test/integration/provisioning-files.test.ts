/**
 * Issue 9: every deployment file checked by the real tool that reads it — promtool (with the real
 * rule files), amtool, Debian's docker-compose, systemd-analyze — and, where the tool cannot see
 * a mistake (Grafana ignores unknown keys; compose does not know what Prometheus reads), checked
 * against what the other side reads: every path a configuration names is mounted where it says,
 * every variable a Grafana file expands is set by both deployments, every key is one Grafana
 * reads.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import {
  ALERTMANAGER_YML,
  COMPOSE_YML,
  ENV_EXAMPLE,
  PROMETHEUS_YML,
  REPO,
  SCALE_OUT,
  STACK,
  UNIT_FILE,
  isMap,
  list,
  mapStrings,
  readYaml,
  renderStack,
  run,
  strings,
  type Rendered,
  type Yaml,
} from './provisioning-support.js';
import { shebangNodeFlags } from '../support/node-flags.js';

const GRAFANA_DIR = path.join(REPO, 'provisioning/grafana');
const PLUGIN_JSON = path.join(REPO, 'grafana-plugin/src/plugin.json');
const PLUGIN_DASHBOARDS = path.join(REPO, 'grafana-plugin/src/dashboards');
const PLUGIN_SETTINGS = path.join(REPO, 'grafana-plugin/src/settings.ts');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'hyperion-provisioning-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Prometheus durations as promtool accepts them (1d = 24h, 1w = 7d, 1y = 365d). */
function durationSeconds(text: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  assert.equal(parts.map((p) => p[0]).join(''), text, `not a Prometheus duration: ${text}`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0);
}

// ---------------------------------------------------------------------------------------------

describe('Prometheus configuration (provisioning/prometheus/prometheus.yml)', () => {
  let rendered: Rendered;
  const secrets = path.join(tmp, 'prom-secrets');

  before(() => {
    mkdirSync(path.join(secrets, 'prometheus'), { recursive: true });
    writeFileSync(path.join(secrets, 'prometheus/hyperion-token'), 'hyp_x_y');
    rendered = renderStack(path.join(tmp, 'prom-state'), secrets, [
      '--',
      '--web.listen-address=127.0.0.1:18470',
    ]);
  });

  it('passes promtool check config, loading every shipped rule file', () => {
    const r = run(['promtool', 'check', 'config', rendered.prometheusYml]);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    const ruleFiles = readdirSync(path.join(REPO, 'alerting/rules')).filter((f) => f.endsWith('.rules.yml'));
    assert.ok(ruleFiles.length >= 2, 'the alert and recording rule files');
    assert.match(r.stdout, new RegExp(`SUCCESS: ${ruleFiles.length} rule files found`));
    for (const file of ruleFiles) {
      const checked = new RegExp(
        `Checking ${path.join(REPO, 'alerting/rules', file)}\\n\\s+SUCCESS: (\\d+) rules found`,
      );
      const m = checked.exec(r.stdout);
      assert.ok(m && Number(m[1]) > 0, `promtool did not load ${file}:\n${r.stdout}`);
    }
  });

  it('is refused by promtool when broken (the check is not a formality)', () => {
    const broken = path.join(tmp, 'broken-prometheus.yml');
    const text = readFileSync(rendered.prometheusYml, 'utf8');
    writeFileSync(broken, text.replace('target_label: __param_target', 'target_label: __param-target'));
    const r = run(['promtool', 'check', 'config', broken]);
    assert.notEqual(r.code, 0, 'an invalid label name in the relabelling must be refused');
  });

  it('runs locally with only the documented addresses and paths changed', () => {
    const replacements: [string, string][] = [
      ['host.docker.internal:8470', '127.0.0.1:18470'],
      ['prometheus:9090', '127.0.0.1:9090'],
      ['alertmanager:9093', '127.0.0.1:9093'],
      ['/etc/hyperion/alerting/', `${REPO}/alerting/`],
      ['/etc/prometheus/secrets/', `${secrets}/prometheus/`],
    ];
    const expected = mapStrings(readYaml(PROMETHEUS_YML), (s) =>
      replacements.reduce((acc, [from, to]) => acc.split(from).join(to), s),
    );
    assert.deepEqual(readYaml(rendered.prometheusYml), expected);
  });

  it('takes a shorter interval for demos and tests, everywhere at once', () => {
    const fast = renderStack(path.join(tmp, 'prom-state-fast'), secrets, [
      '--interval',
      '2s',
      '--',
      '--web.listen-address=127.0.0.1:18470',
    ]);
    const global = readYaml(fast.prometheusYml).global as Yaml;
    assert.deepEqual(global, { scrape_interval: '2s', scrape_timeout: '2s', evaluation_interval: '2s' });
    assert.equal(run(['promtool', 'check', 'config', fast.prometheusYml]).code, 0);
  });

  it('names every job scraping the exporter so that HyperionExporterDown watches it, and no other', () => {
    const thresholds = readYaml(path.join(REPO, 'alerting/thresholds.yml'));
    const exporterJobs = new RegExp(`^(?:${String(thresholds.exporter_jobs)})$`);
    const jobs = list(readYaml(PROMETHEUS_YML).scrape_configs).filter(isMap);
    const scrapesExporter = (job: Yaml) =>
      strings(job).some(
        (s) => s.value.includes('host.docker.internal:8470') && !s.at.includes('http_sd_configs'),
      );
    const exporter = jobs.filter(scrapesExporter).map((j) => String(j.job_name));
    assert.deepEqual(exporter.sort(), ['hyperion', 'hyperion-probe']);
    for (const job of jobs) {
      assert.equal(
        exporterJobs.test(String(job.job_name)),
        scrapesExporter(job),
        `job ${String(job.job_name)}`,
      );
    }
  });

  it('relabels discovered hosts into /probe?target=<host> on the exporter, instance = host', () => {
    const probe = list(readYaml(PROMETHEUS_YML).scrape_configs)
      .filter(isMap)
      .find((j) => j.job_name === 'hyperion-probe')!;
    assert.equal(probe.metrics_path, '/probe');
    const sd = list(probe.http_sd_configs).filter(isMap);
    assert.equal(sd.length, 1);
    assert.equal(sd[0]!.url, 'http://host.docker.internal:8470/api/v1/targets');
    // The viewer token goes with the probes (the exporter refuses /probe without one) and with
    // the discovery, from the same file.
    const token = { type: 'Bearer', credentials_file: '/etc/prometheus/secrets/hyperion-token' };
    assert.deepEqual(probe.authorization, token, 'the /probe scrapes send the token');
    assert.deepEqual(sd[0]!.authorization, token, 'the discovery sends the token');
    assert.deepEqual(list(probe.relabel_configs), [
      { source_labels: ['__address__'], target_label: '__param_target' },
      { source_labels: ['__param_target'], target_label: 'instance' },
      { target_label: '__address__', replacement: 'host.docker.internal:8470' },
    ]);
    // What Prometheus does with it, for real: provisioning-relabel.test.ts.
  });
});

// ---------------------------------------------------------------------------------------------

describe('Alertmanager configuration (alerting/alertmanager.yml, used as it is)', () => {
  let rendered: Rendered;
  const secrets = path.join(tmp, 'am-secrets');

  before(() => {
    rendered = renderStack(path.join(tmp, 'am-state'), secrets);
  });

  it('passes amtool check-config, templates included, in the local copy', () => {
    const r = run(['amtool', 'check-config', rendered.alertmanagerYml]);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    const templates = readdirSync(path.join(REPO, 'alerting/templates')).filter((f) => f.endsWith('.tmpl'));
    assert.match(r.stdout, new RegExp(`- ${templates.length} templates`));
    assert.match(r.stdout, /- 5 receivers/);
  });

  it('differs locally only in where the secret files are', () => {
    const expected = mapStrings(readYaml(ALERTMANAGER_YML), (s) =>
      s.split('/etc/alertmanager/secrets/').join(`${secrets}/alertmanager/`),
    );
    assert.deepEqual(readYaml(rendered.alertmanagerYml), expected);
  });
});

// ---------------------------------------------------------------------------------------------

describe('docker-compose.yml', () => {
  let config: Yaml;
  let services: Record<string, Yaml>;
  const secretsDir = path.join(REPO, 'secrets');

  before(() => {
    const r = run(['docker-compose', '--env-file', ENV_EXAMPLE, '-f', COMPOSE_YML, 'config'], {
      // docker-compose would read a developer's own .env otherwise; the example is the contract.
      env: { COMPOSE_PROJECT_NAME: 'hyperion-test' },
    });
    assert.equal(r.code, 0, r.stderr);
    // Compose only warns about a variable it cannot find: treat that as the error it is.
    assert.doesNotMatch(r.stderr, /variable is not set|WARNING/i, r.stderr);
    config = parse(r.stdout) as Yaml;
    services = config.services as Record<string, Yaml>;
  });

  /** "source:target[:mode]" or compose's long form → { source, target, readOnly }. */
  const mounts = (service: Yaml) =>
    list(service.volumes).map((v) => {
      if (typeof v === 'string') {
        const [source, target, mode] = v.split(':');
        return { source: source!, target: target!, readOnly: (mode ?? '').split(',').includes('ro') };
      }
      const m = v as Yaml;
      return { source: String(m.source), target: String(m.target), readOnly: m.read_only === true };
    });
  const mountOf = (service: Yaml, target: string) => mounts(service).find((m) => m.target === target);
  const flag = (service: Yaml, name: string) =>
    list(service.command)
      .map(String)
      .find((a) => a.startsWith(`--${name}=`))
      ?.slice(name.length + 3);
  const secretTargets = (service: Yaml) =>
    new Map(
      list(service.secrets)
        .filter(isMap)
        .map((s) => [
          String(s.target),
          String((config.secrets as Record<string, Yaml>)[String(s.source)]!.file),
        ]),
    );

  it('runs the four services, each restarted and health-checked', () => {
    assert.deepEqual(Object.keys(services).sort(), ['alertmanager', 'exporter', 'grafana', 'prometheus']);
    for (const [name, s] of Object.entries(services)) {
      assert.equal(s.restart, 'unless-stopped', name);
      const check = (s.healthcheck as Yaml | undefined)?.test;
      assert.ok(Array.isArray(check) && check[0] === 'CMD' && check.length > 2, `${name} has a health check`);
    }
  });

  it('gives the exporter the host (PID and network namespaces, /proc, /sys, / read-only) and only KILL, SYS_NICE, NET_ADMIN', () => {
    const e = services.exporter!;
    assert.equal(e.pid, 'host');
    assert.equal(e.network_mode, 'host');
    for (const [hostPath, pathFlag] of [
      ['/proc', 'path.procfs'],
      ['/sys', 'path.sysfs'],
      ['/', 'path.rootfs'],
    ] as const) {
      const target = flag(e, pathFlag);
      assert.ok(target, `--${pathFlag} is set`);
      const m = mountOf(e, target);
      assert.equal(m?.source, hostPath, `--${pathFlag}=${target} is the host's ${hostPath}`);
      assert.equal(m?.readOnly, true, `${hostPath} is mounted read-only`);
    }
    assert.deepEqual(e.cap_drop, ['ALL']);
    assert.deepEqual([...list(e.cap_add)].map(String).sort(), ['KILL', 'NET_ADMIN', 'SYS_NICE']);
    assert.ok(list(e.security_opt).includes('no-new-privileges:true'));
    assert.equal(e.read_only, true);
    assert.equal(e.privileged, undefined);
    const data = mountOf(e, flag(e, 'storage.path')!);
    assert.ok(data && !data.source.startsWith('/'), 'the data directory is a named volume');
    assert.equal((e.build as Yaml).dockerfile, 'exporter/Dockerfile');
  });

  it('mounts into Prometheus exactly what prometheus.yml reads: the rules, its token, and keeps 30 days', () => {
    const p = services.prometheus!;
    const prom = readYaml(PROMETHEUS_YML);
    assert.equal(mountOf(p, flag(p, 'config.file')!)?.source, PROMETHEUS_YML);
    for (const glob of list(prom.rule_files).map(String)) {
      const m = mountOf(p, path.dirname(glob));
      assert.equal(m?.source, path.join(REPO, 'alerting/rules'), `${glob} is alerting/rules`);
    }
    const tokens = strings(prom).filter((s) => s.at.endsWith('credentials_file'));
    assert.ok(tokens.length > 0);
    for (const t of tokens)
      assert.equal(secretTargets(p).get(t.value), path.join(secretsDir, 'prometheus-token'));
    assert.ok(durationSeconds(flag(p, 'storage.tsdb.retention.time')!) >= 30 * 86400, 'retention ≥ 30 days');
    assert.ok(mountOf(p, flag(p, 'storage.tsdb.path')!), 'the TSDB is on a volume');
    assert.deepEqual(p.extra_hosts, ['host.docker.internal:host-gateway']);
  });

  it('mounts into Alertmanager the shipped configuration, its templates and every secret file it names', () => {
    const a = services.alertmanager!;
    const configFile = flag(a, 'config.file')!;
    assert.equal(mountOf(a, configFile)?.source, ALERTMANAGER_YML);
    const am = readYaml(ALERTMANAGER_YML);
    for (const glob of list(am.templates).map(String)) {
      const dir = path.resolve(path.dirname(configFile), path.dirname(glob));
      assert.equal(mountOf(a, dir)?.source, path.join(REPO, 'alerting', path.dirname(glob)), glob);
    }
    const files = strings(am).filter((s) => s.at.endsWith('_file'));
    assert.equal(files.length, 3, 'Slack URL, SMTP password, webhook token');
    for (const f of files) {
      assert.equal(secretTargets(a).get(f.value), path.join(secretsDir, path.basename(f.value)), f.at);
    }
    assert.ok(mountOf(a, flag(a, 'storage.path')!), 'silences and notification log on a volume');
  });

  it('gives Grafana the built plugin, allowed unsigned, and the provisioning directory', () => {
    const g = services.grafana!;
    const env = g.environment as Record<string, string>;
    assert.equal(env.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS, 'hyperion-app');
    const plugin = mountOf(g, '/var/lib/grafana/plugins/hyperion-app');
    assert.equal(plugin?.source, path.join(REPO, 'grafana-plugin/dist'));
    assert.equal(mountOf(g, '/etc/grafana/provisioning')?.source, path.join(REPO, 'provisioning/grafana'));
    assert.ok(mountOf(g, '/var/lib/grafana'), 'Grafana keeps its database on a volume');
  });

  it('mounts only files and directories that exist in the repository', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const m of mounts(s)) {
        if (!m.source.startsWith(REPO)) continue;
        if (m.source.endsWith('grafana-plugin/dist')) continue; // a build output
        assert.doesNotThrow(() => statSync(m.source), `${name}: ${m.source}`);
      }
    }
  });

  it('takes every variable it uses from .env.example', () => {
    const example = new Set(
      readFileSync(ENV_EXAMPLE, 'utf8')
        .split('\n')
        .map((l) => /^([A-Z_][A-Z0-9_]*)=/.exec(l)?.[1])
        .filter((k): k is string => k !== undefined),
    );
    const used = [...readFileSync(COMPOSE_YML, 'utf8').matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!);
    assert.ok(used.length > 10);
    for (const v of new Set(used)) assert.ok(example.has(v), `${v} is documented in .env.example`);
  });

  it('accepts the Alertmanager cluster override', () => {
    const override = path.join(SCALE_OUT, 'docker-compose.alertmanager-cluster.yml');
    const r = run(
      ['docker-compose', '--env-file', ENV_EXAMPLE, '-f', COMPOSE_YML, '-f', override, 'config'],
      {
        env: { COMPOSE_PROJECT_NAME: 'hyperion-test' },
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const cluster = (parse(r.stdout) as Yaml).services as Record<string, Yaml>;
    const members = ['alertmanager', 'alertmanager-2', 'alertmanager-3'];
    for (const name of members) {
      const peers = list(cluster[name]!.command)
        .map(String)
        .filter((a) => a.startsWith('--cluster.peer='))
        .map((a) => a.slice('--cluster.peer='.length));
      const others = members.filter((m) => m !== name).map((m) => `${m}:9094`);
      assert.deepEqual(peers.sort(), others.sort(), name);
      assert.ok(list(cluster[name]!.command).includes('--cluster.listen-address=0.0.0.0:9094'));
    }
    const targets = (
      (
        (readYaml(path.join(SCALE_OUT, 'prometheus-alertmanager-cluster.yml')).alerting as Yaml)
          .alertmanagers as Yaml[]
      )[0]!.static_configs as Yaml[]
    )[0]!.targets;
    assert.deepEqual(
      targets,
      members.map((m) => `${m}:9093`),
      'Prometheus sends to every member',
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('Grafana provisioning (provisioning/grafana)', () => {
  // The keys Grafana's provisioning readers map (pkg/services/provisioning/*/types.go): Grafana
  // ignores any other key without a word, so a typo would silently lose a setting.
  const DATASOURCE_KEYS = [
    'orgId',
    'orgName',
    'version',
    'name',
    'type',
    'access',
    'url',
    'user',
    'database',
    'basicAuth',
    'basicAuthUser',
    'withCredentials',
    'isDefault',
    'correlations',
    'jsonData',
    'secureJsonData',
    'editable',
    'uid',
  ];
  const APP_KEYS = ['org_id', 'org_name', 'type', 'disabled', 'jsonData', 'secureJsonData'];

  const datasources = () => readYaml(path.join(GRAFANA_DIR, 'datasources/hyperion.yaml'));
  const plugins = () => readYaml(path.join(GRAFANA_DIR, 'plugins/hyperion.yaml'));
  const subset = (keys: string[], allowed: string[], what: string) => {
    for (const k of keys) assert.ok(allowed.includes(k), `${what}: Grafana does not read "${k}"`);
  };

  /** The environment docker-compose.yml gives Grafana (with .env.example). */
  const composeGrafanaEnv = (): Record<string, string> => {
    const r = run(['docker-compose', '--env-file', ENV_EXAMPLE, '-f', COMPOSE_YML, 'config'], {
      env: { COMPOSE_PROJECT_NAME: 'hyperion-test' },
    });
    assert.equal(r.code, 0, r.stderr);
    const env = (((parse(r.stdout) as Yaml).services as Yaml).grafana as Yaml).environment as Yaml;
    return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
  };

  /**
   * The environment scripts/stack.sh gives Grafana: its `VAR=value \` prefixes, with $ROOT (the
   * checkout) and the script's variables assigned once, plainly (`plugin_dist=$ROOT/…`), expanded.
   */
  const stackGrafanaEnv = (): Record<string, string> => {
    const text = readFileSync(STACK, 'utf8');
    const assigned = [...text.matchAll(/^[ \t]*([a-z_][a-z0-9_]*)=/gm)].map((m) => m[1]!);
    const shellVars = new Map<string, string>([['ROOT', REPO]]);
    for (const m of text.matchAll(/^[ \t]*([a-z_][a-z0-9_]*)=([^\s"'`(]+)$/gm)) {
      if (assigned.filter((name) => name === m[1]).length === 1) shellVars.set(m[1]!, m[2]!);
    }
    const expand = (value: string) => {
      let out = value;
      for (let i = 0; i < 5; i++) {
        out = out.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (all, name: string) =>
          shellVars.has(name) ? shellVars.get(name)! : all,
        );
      }
      return out;
    };
    const env: Record<string, string> = {};
    for (const m of text.matchAll(/^\s+([A-Z_][A-Z0-9_]*)=(\S*) \\$/gm)) env[m[1]!] = expand(m[2]!);
    return env;
  };

  /**
   * Every dashboards provider under `grafanaDir` that would load one of the app's dashboards a
   * second time, in any of the given deployments' environments: its path (variables expanded)
   * points into the plugin (grafana-plugin/… in the checkout, plugins/hyperion-app in Grafana),
   * or it is a directory holding a dashboard with one of the app's uids. A path that cannot be
   * resolved counts too: nobody could tell what it loads.
   */
  const providersOfAppDashboards = (
    grafanaDir: string,
    deployments: Record<string, Record<string, string>>,
    appUids: Set<string>,
  ): string[] => {
    const dir = path.join(grafanaDir, 'dashboards');
    if (!existsSync(dir)) return [];
    const found: string[] = [];
    for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
      for (const provider of list(readYaml(path.join(dir, file)).providers).filter(isMap)) {
        const raw = String((provider.options as Yaml | undefined)?.path ?? '');
        for (const [deployment, env] of Object.entries(deployments)) {
          const what = `dashboards/${file}, provider ${String(provider.name)} (${raw}) in ${deployment}`;
          const resolved = raw.replace(
            /\$\{?([A-Z_][A-Z0-9_]*)\}?/g,
            (all, name: string) => env[name] ?? all,
          );
          if (resolved.includes('$')) found.push(`${what}: unresolved`);
          else if (/grafana-plugin|plugins\/hyperion-app/.test(resolved))
            found.push(`${what}: the plugin's directory`);
          else if (existsSync(resolved) && statSync(resolved).isDirectory()) {
            for (const json of readdirSync(resolved, { recursive: true }).map(String)) {
              if (!json.endsWith('.json')) continue;
              const uid = (JSON.parse(readFileSync(path.join(resolved, json), 'utf8')) as { uid?: unknown })
                .uid;
              if (appUids.has(String(uid))) found.push(`${what}: ${json} is the app's ${String(uid)}`);
            }
          }
        }
      }
    }
    return found;
  };

  /** The dashboards plugin.json includes, each with the uid of the JSON file it names. */
  const includedDashboards = () => {
    const pluginJson = JSON.parse(readFileSync(PLUGIN_JSON, 'utf8')) as {
      includes: { type: string; path?: string; uid?: string }[];
    };
    return pluginJson.includes
      .filter((i) => i.type === 'dashboard')
      .map((i) => ({
        path: String(i.path),
        uid: i.uid,
        fileUid: (
          JSON.parse(readFileSync(path.join(REPO, 'grafana-plugin/src', String(i.path)), 'utf8')) as {
            uid?: unknown;
          }
        ).uid,
      }));
  };

  it('has only directories and files Grafana reads, each apiVersion 1', () => {
    // No dashboards/: the app imports its own dashboards (below).
    assert.deepEqual(readdirSync(GRAFANA_DIR).sort(), ['datasources', 'plugins']);
    for (const doc of [datasources(), plugins()]) assert.equal(doc.apiVersion, 1);
    subset(
      Object.keys(datasources()),
      ['apiVersion', 'datasources', 'deleteDatasources', 'prune'],
      'datasources',
    );
    subset(Object.keys(plugins()), ['apiVersion', 'apps'], 'plugins');
  });

  it('provisions Prometheus and Alertmanager with fixed UIDs, linked to each other', () => {
    const ds = list(datasources().datasources).filter(isMap);
    for (const d of ds) subset(Object.keys(d), DATASOURCE_KEYS, `data source ${String(d.name)}`);
    const byType = new Map(ds.map((d) => [d.type, d]));
    const prom = byType.get('prometheus')!;
    const am = byType.get('alertmanager')!;
    assert.ok(prom && am);
    assert.equal(prom.access, 'proxy');
    assert.equal(am.access, 'proxy');
    assert.equal(prom.isDefault, true);
    assert.equal((prom.jsonData as Yaml).alertmanagerUid, am.uid);
    assert.equal((am.jsonData as Yaml).implementation, 'prometheus');
    assert.equal(ds.filter((d) => d.isDefault === true).length, 1);
    assert.equal(new Set(ds.map((d) => d.uid)).size, ds.length);
    assert.equal(
      (prom.jsonData as Yaml).timeInterval,
      (readYaml(PROMETHEUS_YML).global as Yaml).scrape_interval,
      'timeInterval is the scrape interval',
    );
  });

  it('enables the app with exactly the settings its proxy routes and config page read', () => {
    const apps = list(plugins().apps).filter(isMap);
    assert.equal(apps.length, 1);
    const app = apps[0]!;
    subset(Object.keys(app), APP_KEYS, 'app');
    const pluginJson = JSON.parse(readFileSync(PLUGIN_JSON, 'utf8')) as { id: string; routes: unknown[] };
    assert.equal(app.type, pluginJson.id);
    assert.equal(app.disabled, false);
    const routes = JSON.stringify(pluginJson.routes);
    const used = (kind: string) =>
      new Set([...routes.matchAll(new RegExp(`\\.${kind}\\.(\\w+)`, 'g'))].map((m) => m[1]!));
    const jsonData = app.jsonData as Yaml;
    const secure = app.secureJsonData as Yaml;
    for (const k of used('JsonData')) assert.ok(k in jsonData, `jsonData.${k} (used by the proxy routes)`);
    assert.deepEqual(Object.keys(secure).sort(), [...used('SecureJsonData')].sort());
    // jsonData keys the app itself declares (settings.ts AppJsonData): no key it never reads.
    const settings = readFileSync(PLUGIN_SETTINGS, 'utf8');
    const block = /interface AppJsonData \{([^}]*)\}/.exec(settings)?.[1] ?? '';
    const declared = [...block.matchAll(/^\s*(\w+)\??:/gm)].map((m) => m[1]!);
    subset(Object.keys(jsonData), declared, 'app jsonData');
    const promUid = list(datasources().datasources)
      .filter(isMap)
      .find((d) => d.type === 'prometheus')!.uid;
    if ('prometheusUid' in jsonData) assert.equal(jsonData.prometheusUid, promUid);
    for (const v of Object.values(secure))
      assert.match(String(v), /^\$[A-Z_]+$/, 'tokens only from the environment');
  });

  it('plugin.json includes exactly the dashboards the plugin ships, each under its own uid', () => {
    const included = includedDashboards();
    const shipped = readdirSync(PLUGIN_DASHBOARDS).filter((f) => f.endsWith('.json'));
    assert.deepEqual(included.map((d) => d.path).sort(), shipped.map((f) => `dashboards/${f}`).sort());
    for (const d of included) assert.equal(d.uid, d.fileUid, `${d.path}: the include's uid is the file's`);
    assert.deepEqual(included.map((d) => d.uid).sort(), [
      'hyperion-exporter',
      'hyperion-fleet',
      'hyperion-host-overview',
    ]);
  });

  it("leaves the app's dashboards to the app: no dashboards provider loads them a second time", () => {
    const appUids = new Set(includedDashboards().map((d) => String(d.fileUid)));
    const deployments = { 'docker-compose.yml': composeGrafanaEnv(), 'scripts/stack.sh': stackGrafanaEnv() };
    assert.deepEqual(providersOfAppDashboards(GRAFANA_DIR, deployments, appUids), []);
    // Neither deployment still hands Grafana a path to the plugin's dashboards.
    for (const [deployment, env] of Object.entries(deployments)) {
      for (const [name, value] of Object.entries(env))
        assert.doesNotMatch(value, /(grafana-plugin|hyperion-app)\/.*dashboards/, `${deployment}: ${name}`);
    }
  });

  it("catches a provider of the app's dashboards (the check above is not a formality)", () => {
    const appUids = new Set(includedDashboards().map((d) => String(d.fileUid)));
    const fake = path.join(tmp, 'grafana-with-provider');
    const elsewhere = path.join(tmp, 'dashboards-elsewhere');
    const unrelated = path.join(tmp, 'dashboards-unrelated');
    mkdirSync(path.join(fake, 'dashboards'), { recursive: true });
    mkdirSync(elsewhere, { recursive: true });
    mkdirSync(unrelated, { recursive: true });
    copyFileSync(path.join(PLUGIN_DASHBOARDS, 'fleet.json'), path.join(elsewhere, 'copy.json'));
    writeFileSync(path.join(unrelated, 'other.json'), JSON.stringify({ uid: 'someone-else', panels: [] }));
    writeFileSync(
      path.join(fake, 'dashboards/providers.yaml'),
      [
        'apiVersion: 1',
        'providers:',
        '  - { name: by-variable, type: file, options: { path: $HYPERION_DASHBOARDS_PATH } }',
        `  - { name: by-uid, type: file, options: { path: ${elsewhere} } }`,
        `  - { name: unrelated, type: file, options: { path: ${unrelated} } }`,
      ].join('\n'),
    );
    const found = providersOfAppDashboards(
      fake,
      {
        compose: { HYPERION_DASHBOARDS_PATH: '/var/lib/grafana/plugins/hyperion-app/dashboards' },
        stack: { HYPERION_DASHBOARDS_PATH: path.join(REPO, 'grafana-plugin/dist/dashboards') },
        neither: {},
      },
      appUids,
    );
    const about = (name: string) => found.filter((f) => f.includes(`provider ${name} `));
    assert.equal(about('by-variable').length, 3, found.join('\n'));
    assert.match(
      about('by-variable').find((f) => f.includes(' in neither'))!,
      /unresolved/,
    );
    assert.equal(about('by-uid').length, 3, found.join('\n'));
    assert.match(about('by-uid')[0]!, /copy\.json is the app's hyperion-fleet/);
    assert.deepEqual(about('unrelated'), []);
  });

  it('expands only variables that docker-compose.yml and scripts/stack.sh both give Grafana', () => {
    const used = new Set<string>();
    for (const dir of readdirSync(GRAFANA_DIR)) {
      for (const file of readdirSync(path.join(GRAFANA_DIR, dir)).filter((f) => /\.ya?ml$/.test(f))) {
        const text = readFileSync(path.join(GRAFANA_DIR, dir, file), 'utf8')
          .split('\n')
          .filter((l) => !l.trimStart().startsWith('#'))
          .join('\n');
        for (const m of text.matchAll(/\$\{?([A-Z_][A-Z0-9_]*)/g)) used.add(m[1]!);
      }
    }
    // The Prometheus and Alertmanager URLs, the exporter's URL and its three tokens.
    assert.ok(used.size >= 6);
    const env = composeGrafanaEnv();
    const stack = readFileSync(STACK, 'utf8');
    for (const v of used) {
      assert.ok(v in env, `docker-compose.yml sets ${v} for Grafana`);
      assert.match(stack, new RegExp(`^\\s+${v}=`, 'm'), `scripts/stack.sh sets ${v} for Grafana`);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('systemd unit (provisioning/systemd/hyperion-exporter.service)', () => {
  it('passes systemd-analyze verify without a single warning, with the agent socket and service', () => {
    // Copied so that verify sees the names systemd would install them under (and an instance of
    // the agent's template, which is what a connection starts).
    const dir = path.join(tmp, 'unit');
    mkdirSync(dir, { recursive: true });
    const unit = path.join(dir, 'hyperion-exporter.service');
    copyFileSync(UNIT_FILE, unit);
    for (const name of ['hyperion-agent.socket', 'hyperion-agent@.service'])
      copyFileSync(path.join(path.dirname(UNIT_FILE), name), path.join(dir, name));
    copyFileSync(path.join(dir, 'hyperion-agent@.service'), path.join(dir, 'hyperion-agent@0.service'));
    const r = run([
      'systemd-analyze',
      'verify',
      unit,
      path.join(dir, 'hyperion-agent.socket'),
      path.join(dir, 'hyperion-agent@0.service'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    // verify only warns (exit 0) about unknown keys and bad values: any word about our units fails.
    const ours = r.stderr.split('\n').filter((l) => l.includes('hyperion-'));
    assert.deepEqual(ours, []);
  });

  it('catches a mistake in a copy (the check above is not a formality)', () => {
    const unit = path.join(tmp, 'unit-broken', 'hyperion-exporter.service');
    mkdirSync(path.dirname(unit), { recursive: true });
    writeFileSync(
      unit,
      readFileSync(UNIT_FILE, 'utf8').replace('ProtectSystem=strict', 'ProtectSystem=strictly'),
    );
    const r = run(['systemd-analyze', 'verify', unit]);
    assert.match(r.stderr, /hyperion-exporter\.service:\d+: Failed to parse protect system value/);
  });

  it('runs the exporter unprivileged, with no capability, and root only behind the agent socket', () => {
    const unitSettings = (file: string) => {
      const settings = new Map<string, string>();
      for (const line of readFileSync(file, 'utf8').replace(/\\\n/g, ' ').split('\n')) {
        const m = /^([A-Za-z]+)=(.*)$/.exec(line);
        if (m) settings.set(m[1]!, m[2]!.trim());
      }
      return settings;
    };
    const settings = unitSettings(UNIT_FILE);
    assert.equal(settings.get('User'), 'hyperion');
    assert.equal(settings.get('CapabilityBoundingSet'), '', 'no capability at all');
    assert.equal(settings.get('AmbientCapabilities'), '');
    assert.equal(settings.get('Requires'), 'hyperion-agent.socket');
    assert.match(settings.get('ExecStart')!, /--agent\.socket=\/run\/hyperion\/agent\.sock/);
    const socket = unitSettings(path.join(path.dirname(UNIT_FILE), 'hyperion-agent.socket'));
    assert.equal(socket.get('ListenStream'), '/run/hyperion/agent.sock');
    assert.deepEqual(
      [socket.get('SocketUser'), socket.get('SocketGroup'), socket.get('SocketMode')],
      ['root', 'hyperion', '0660'],
    );
    assert.equal(socket.get('Accept'), 'yes');
    const agent = unitSettings(path.join(path.dirname(UNIT_FILE), 'hyperion-agent@.service'));
    assert.match(
      agent.get('ExecStart')!,
      /^\/usr\/bin\/perl \S+\/agent\/hyperion-agent\.pl --peer-user hyperion$/,
    );
    assert.deepEqual([agent.get('StandardInput'), agent.get('StandardOutput')], ['socket', 'socket']);
    assert.equal(settings.get('NoNewPrivileges'), 'yes');
    assert.ok(['full', 'strict'].includes(settings.get('ProtectSystem')!));
    assert.equal(settings.get('StateDirectory'), 'hyperion');
    assert.match(settings.get('ExecStart')!, /--storage\.path=\/var\/lib\/hyperion/);
    // node runs with the V8 flags the exporter's own first line gives it (src/main.ts).
    const v8Flags = shebangNodeFlags(path.join(REPO, 'exporter/src/main.ts'));
    assert.ok(v8Flags.length > 0, 'the first line of src/main.ts gives node flags');
    assert.ok(
      settings.get('ExecStart')!.startsWith(`/usr/bin/node ${v8Flags.join(' ')} /opt/hyperion/`),
      settings.get('ExecStart'),
    );
    assert.equal(settings.get('MemoryDenyWriteExecute'), undefined, "V8's JIT needs W+X memory");
    assert.match(settings.get('RestrictAddressFamilies')!, /AF_NETLINK/, 'ip and nft use netlink');
  });
});

// ---------------------------------------------------------------------------------------------

describe('scaling-out snippets (provisioning/scale-out)', () => {
  const prometheusSnippets = readdirSync(SCALE_OUT).filter((f) => /^prometheus-.+\.yml$/.test(f));

  it('has a remote_write snippet for Mimir, Thanos and VictoriaMetrics, and the sharding and cluster ones', () => {
    assert.deepEqual(prometheusSnippets.sort(), [
      'prometheus-alertmanager-cluster.yml',
      'prometheus-probe-sharding.yml',
      'prometheus-remote-write-mimir.yml',
      'prometheus-remote-write-thanos.yml',
      'prometheus-remote-write-victoriametrics.yml',
    ]);
  });

  for (const file of prometheusSnippets) {
    it(`${file} passes promtool check config`, () => {
      // promtool checks that the credential files exist: the snippet with its secrets
      // directory made local and every file it names there, as scripts/stack.sh does.
      const secrets = path.join(tmp, `scale-out-secrets-${file}`);
      mkdirSync(secrets, { recursive: true });
      const text = readFileSync(path.join(SCALE_OUT, file), 'utf8');
      for (const [, name] of text.matchAll(/\/etc\/prometheus\/secrets\/([\w.-]+)/g)) {
        writeFileSync(path.join(secrets, name!), 'hyp_x_y');
      }
      const local = path.join(secrets, file);
      writeFileSync(local, text.split('/etc/prometheus/secrets/').join(`${secrets}/`));
      const r = run(['promtool', 'check', 'config', local]);
      assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    });
  }

  it('shards /probe with one job per exporter, each with that exporter’s token, every shard kept once', () => {
    const jobs = list(readYaml(path.join(SCALE_OUT, 'prometheus-probe-sharding.yml')).scrape_configs).filter(
      isMap,
    );
    const shards: string[] = [];
    for (const [i, job] of jobs.entries()) {
      const x = 'abc'[i]!;
      const token = { type: 'Bearer', credentials_file: `/etc/prometheus/secrets/hyperion-token-${x}` };
      assert.equal(job.metrics_path, '/probe');
      assert.deepEqual(
        job.authorization,
        token,
        `${String(job.job_name)} sends its exporter's token to /probe`,
      );
      const sd = list(job.http_sd_configs).filter(isMap);
      assert.deepEqual(
        sd.map((s) => s.url),
        [`http://exporter-${x}.example.com:8470/api/v1/targets`],
      );
      assert.deepEqual(sd[0]!.authorization, token);
      const relabel = list(job.relabel_configs).filter(isMap);
      const hashmod = relabel.find((r) => r.action === 'hashmod')!;
      assert.equal(hashmod.modulus, jobs.length, 'modulus = number of exporters');
      const keep = relabel.find((r) => r.action === 'keep')!;
      shards.push(String(keep.regex));
      assert.deepEqual(relabel.at(-1), { target_label: 'job', replacement: 'hyperion-probe' });
    }
    assert.deepEqual(shards.sort(), ['0', '1', '2']);
  });

  it('writes remotely only what Hyperion uses, labelled with its site', () => {
    for (const file of prometheusSnippets.filter((f) => f.includes('remote-write'))) {
      const doc = readYaml(path.join(SCALE_OUT, file));
      assert.ok(((doc.global as Yaml).external_labels as Yaml).cluster, `${file}: external label cluster`);
      const rw = list(doc.remote_write).filter(isMap);
      assert.equal(rw.length, 1, file);
      const keep = list(rw[0]!.write_relabel_configs).filter(isMap);
      assert.equal(keep[0]?.action, 'keep', file);
      const regex = new RegExp(`^(?:${String(keep[0]!.regex)})$`);
      for (const name of ['hyperion_cpu_seconds_total', 'hyperion:memory_available:ratio', 'up', 'ALERTS']) {
        assert.ok(regex.test(name), `${file} keeps ${name}`);
      }
      for (const name of ['go_gc_duration_seconds', 'prometheus_tsdb_head_series']) {
        assert.ok(!regex.test(name), `${file} drops ${name}`);
      }
      // Credentials from files only.
      for (const s of strings(rw[0]))
        assert.ok(!/password$|credentials$/.test(s.at), `${file}: ${s.at} inline`);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('scripts/compose-setup.sh --prepare', () => {
  it('writes a private .env with a generated Grafana password and the secret files, and keeps them on a re-run', () => {
    // The script on a copy of the repository's files, so the developer's own .env is untouched.
    const root = path.join(tmp, 'compose-root');
    mkdirSync(path.join(root, 'scripts/lib'), { recursive: true });
    copyFileSync(path.join(REPO, 'scripts/compose-setup.sh'), path.join(root, 'scripts/compose-setup.sh'));
    copyFileSync(path.join(REPO, 'scripts/lib/tokens.sh'), path.join(root, 'scripts/lib/tokens.sh'));
    copyFileSync(ENV_EXAMPLE, path.join(root, '.env.example'));
    chmodSync(path.join(root, 'scripts/compose-setup.sh'), 0o755);
    const first = run(['bash', path.join(root, 'scripts/compose-setup.sh'), '--prepare']);
    assert.equal(first.code, 0, first.stderr);
    const env = readFileSync(path.join(root, '.env'), 'utf8');
    const password = /^GF_SECURITY_ADMIN_PASSWORD=(.*)$/m.exec(env)?.[1] ?? '';
    assert.ok(password.length >= 20 && password !== 'change-me', 'a generated password');
    assert.equal(statSync(path.join(root, '.env')).mode & 0o777, 0o600);
    const secrets = path.join(root, 'secrets');
    assert.equal(statSync(secrets).mode & 0o777, 0o700);
    for (const f of ['prometheus-token', 'slack-webhook-url', 'smtp-password', 'webhook-token']) {
      assert.equal(statSync(path.join(secrets, f)).mode & 0o777, 0o644, f);
    }
    // Everything else in .env is the example's.
    const lines = (text: string) =>
      text.split('\n').filter((l) => !l.startsWith('GF_SECURITY_ADMIN_PASSWORD='));
    assert.deepEqual(lines(env), lines(readFileSync(ENV_EXAMPLE, 'utf8')));
    writeFileSync(path.join(secrets, 'slack-webhook-url'), 'http://127.0.0.1:1/kept');
    const second = run(['bash', path.join(root, 'scripts/compose-setup.sh'), '--prepare']);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(readFileSync(path.join(root, '.env'), 'utf8'), env, 'the password is kept');
    assert.equal(readFileSync(path.join(secrets, 'slack-webhook-url'), 'utf8'), 'http://127.0.0.1:1/kept');
  });
});
