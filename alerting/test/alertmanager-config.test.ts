/**
 * The shipped alertmanager.yml and templates, checked with Debian's amtool 0.25: the file is
 * valid, the routing tree sends each kind of alert where the README says, the test's derived
 * configuration differs from the shipped one only where it must, and the templates render what,
 * where, how bad, since when, the runbook and Grafana links — escaped in HTML.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import {
  ALERTING_DIR,
  ALLOWED_CHANGES,
  SHIPPED_CONFIG,
  deriveTestConfig,
  differingPaths,
  endpointsIn,
  readShippedConfig,
  type TestEndpoints,
} from './support/alertmanager-config.js';
import { AMTOOL_BIN, run } from './support/run.js';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'hyperion-amtool-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const amtool = (args: string[]) => run(AMTOOL_BIN, args);

describe('amtool check-config', () => {
  it('accepts the shipped configuration and its templates', async () => {
    const result = await amtool(['check-config', SHIPPED_CONFIG]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(
      result.stdout,
      /SUCCESS[\s\S]*2 inhibit rules[\s\S]*5 receivers[\s\S]*1 templates\s+SUCCESS/,
    );
  });

  it('rejects a template that uses a function Alertmanager 0.25 lacks (so the check above means something)', async () => {
    const dir = path.join(scratch, 'newer-function');
    cpSync(path.join(ALERTING_DIR, 'alertmanager.yml'), path.join(dir, 'alertmanager.yml'));
    cpSync(path.join(ALERTING_DIR, 'templates'), path.join(dir, 'templates'), { recursive: true });
    // `date` and `tz` arrived in later releases.
    appendFileSync(
      path.join(dir, 'templates/hyperion.tmpl'),
      '{{ define "x" }}{{ .StartsAt | date "2006" }}{{ end }}\n',
    );
    const result = await amtool(['check-config', path.join(dir, 'alertmanager.yml')]);
    assert.notEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /function "date" not defined/);
  });
});

describe('amtool config routes test', () => {
  // label set → receivers, in the order Alertmanager notifies them.
  const TABLE: [string[], string[]][] = [
    [
      ['alertname=HyperionFilesystemAlmostFull', 'severity=critical', 'instance=web1:8470'],
      ['webhook', 'slack-critical', 'email-critical'],
    ],
    [
      ['alertname=HyperionHostUnreachable', 'severity=critical', 'instance=web2'],
      ['webhook', 'slack-critical', 'email-critical'],
    ],
    [
      ['alertname=HyperionFilesystemAlmostFull', 'severity=warning', 'instance=web1:8470'],
      ['webhook', 'slack-warning'],
    ],
    [
      ['alertname=HyperionJobFailed', 'severity=warning', 'exported_job=backup'],
      ['webhook', 'slack-warning'],
    ],
    [['alertname=HyperionCpuBusy', 'severity=info', 'instance=web1:8470'], ['slack-info']],
    // No severity (an alert from some other rule file): the default route, never silence.
    [['alertname=SomethingElse'], ['slack-warning']],
    // A severity this tree does not know also falls back to the default.
    [['alertname=SomethingElse', 'severity=page'], ['slack-warning']],
  ];

  for (const [labels, receivers] of TABLE) {
    it(`${labels.join(' ')} → ${receivers.join(', ')}`, async () => {
      const result = await amtool([
        'config',
        'routes',
        'test',
        `--config.file=${SHIPPED_CONFIG}`,
        `--verify.receivers=${receivers.join(',')}`,
        ...labels,
      ]);
      assert.equal(result.code, 0, `got ${result.stdout.trim()}${result.stderr}`);
      assert.equal(result.stdout.trim(), receivers.join(','));
    });
  }

  it('a wrong expectation fails (so the table above is really checked)', async () => {
    const result = await amtool([
      'config',
      'routes',
      'test',
      `--config.file=${SHIPPED_CONFIG}`,
      '--verify.receivers=slack-info',
      'severity=critical',
    ]);
    assert.notEqual(result.code, 0);
  });
});

describe('the test configuration derived from the shipped one', () => {
  const endpoints: TestEndpoints = {
    slackUrlFile: '/tmp/t/slack-url',
    smtpPasswordFile: '/tmp/t/smtp-password',
    webhookTokenFile: '/tmp/t/webhook-token',
    smtpSmarthost: '127.0.0.1:2525',
    webhookUrl: 'http://127.0.0.1:8080/webhook',
    groupWait: '1s',
    groupInterval: '1s',
    repeatInterval: '1h',
  };
  const shipped = readShippedConfig();
  const derived = deriveTestConfig(shipped, endpoints);

  it('differs only in timings, receiver endpoints, secret file paths and STARTTLS', () => {
    const changed = differingPaths(shipped, derived);
    const unexpected = changed.filter((p) => !ALLOWED_CHANGES.some((re) => re.test(p)));
    assert.deepEqual(unexpected, []);
    // …and does change each of those, or the test would be talking to the shipped endpoints.
    for (const p of [
      'global.slack_api_url_file',
      'global.smtp_auth_password_file',
      'global.smtp_smarthost',
      'route.group_wait',
      'route.group_interval',
      'route.repeat_interval',
    ])
      assert.ok(changed.includes(p), `${p} was not changed`);
    assert.ok(changed.some((p) => /webhook_configs\[0\]\.url$/.test(p)));
    assert.ok(changed.some((p) => /credentials_file$/.test(p)));
  });

  it('sends nothing beyond loopback', () => {
    const endpointsFound = endpointsIn(derived);
    assert.ok(endpointsFound.length >= 2);
    for (const { path: at, host } of endpointsFound)
      assert.equal(host, '127.0.0.1', `${at} points at ${host}`);
  });

  it('is itself valid for amtool', async () => {
    const file = path.join(scratch, 'derived.yml');
    writeFileSync(file, stringify(derived));
    const result = await amtool(['check-config', file]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });
});

/** One alert of Alertmanager's template data (github.com/prometheus/alertmanager/template.Alert). */
interface TemplateAlert {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

describe('amtool template render', () => {
  const firingFs: TemplateAlert = {
    status: 'firing',
    labels: {
      alertname: 'HyperionFilesystemAlmostFull',
      severity: 'critical',
      instance: 'web1:8470',
      job: 'hyperion',
      device: '/dev/sda1',
      mountpoint: '/',
      fstype: 'ext4',
    },
    annotations: {
      summary: 'File system / on web1:8470 is almost full',
      description: '/ (/dev/sda1, ext4) on web1:8470 is 97% full (critical threshold 95%).',
      runbook_url: 'https://runbooks.example.com/hyperion/RUNBOOK.md#hyperionfilesystemalmostfull',
      dashboard_url: 'http://localhost:3000/a/hyperion-app/hosts?host=web1%3A8470',
    },
    startsAt: '2024-05-01T10:00:00.123Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph?g0.expr=up',
    fingerprint: 'f1',
  };
  const dataOf = (alerts: TemplateAlert[], status = 'firing', receiver = 'slack-critical') => ({
    receiver,
    status,
    alerts,
    groupLabels: { alertname: alerts[0]!.labels.alertname, instance: alerts[0]!.labels.instance },
    commonLabels: Object.fromEntries(
      Object.entries(alerts[0]!.labels).filter(([k, v]) => alerts.every((a) => a.labels[k] === v)),
    ),
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
  });

  let n = 0;
  async function render(template: string, data: unknown, type: 'text' | 'html' = 'text'): Promise<string> {
    const file = path.join(scratch, `data-${n++}.json`);
    writeFileSync(file, JSON.stringify(data));
    const result = await amtool([
      'template',
      'render',
      `--template.glob=${path.join(ALERTING_DIR, 'templates/*.tmpl')}`,
      `--template.text={{ template "${template}" . }}`,
      `--template.data=${file}`,
      `--template.type=${type}`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  }

  it('Slack: title, colour and text of a firing critical alert', async () => {
    const data = dataOf([firingFs]);
    assert.equal(
      await render('hyperion.slack.title', data),
      '[FIRING:1] HyperionFilesystemAlmostFull (critical) on web1:8470',
    );
    assert.equal(await render('hyperion.slack.color', data), 'danger');
    const text = await render('hyperion.slack.text', data);
    assert.equal(
      text,
      [
        ':red_circle: *File system / on web1:8470 is almost full*',
        '/ (/dev/sda1, ext4) on web1:8470 is 97% full (critical threshold 95%).',
        '*Where:* host web1:8470, mount point /, device /dev/sda1',
        '*Severity:* critical · *Since:* 2024-05-01 10:00:00 UTC',
        '<https://runbooks.example.com/hyperion/RUNBOOK.md#hyperionfilesystemalmostfull|Runbook> · ' +
          '<http://localhost:3000/a/hyperion-app/hosts?host=web1%3A8470|Grafana> · ' +
          '<http://prometheus:9090/graph?g0.expr=up|Prometheus>',
        '',
      ].join('\n'),
    );
  });

  it('Slack: a resolved alert says so, with when it ended, in green', async () => {
    const resolved = { ...firingFs, status: 'resolved', endsAt: '2024-05-01T10:30:00Z' };
    const data = dataOf([resolved], 'resolved');
    assert.equal(
      await render('hyperion.slack.title', data),
      '[RESOLVED] HyperionFilesystemAlmostFull (critical) on web1:8470',
    );
    assert.equal(await render('hyperion.slack.color', data), 'good');
    const text = await render('hyperion.slack.text', data);
    assert.match(text, /^:white_check_mark: RESOLVED \*File system \/ on web1:8470 is almost full\*$/m);
    assert.match(text, /\*Since:\* 2024-05-01 10:00:00 UTC · \*Resolved:\* 2024-05-01 10:30:00 UTC/);
  });

  it('Slack: warning and info colours; a group of two lists both', async () => {
    const warning = { ...firingFs, labels: { ...firingFs.labels, severity: 'warning' } };
    assert.equal(await render('hyperion.slack.color', dataOf([warning])), 'warning');
    const info = {
      ...firingFs,
      labels: { ...firingFs.labels, alertname: 'HyperionCpuBusy', severity: 'info' },
    };
    assert.equal(await render('hyperion.slack.color', dataOf([info])), '#439FE0');
    const data = { ...firingFs, labels: { ...firingFs.labels, mountpoint: '/data', device: '/dev/sdb1' } };
    const two = dataOf([firingFs, data]);
    assert.equal(
      await render('hyperion.slack.title', two),
      '[FIRING:2] HyperionFilesystemAlmostFull (critical) on web1:8470',
    );
    const text = await render('hyperion.slack.text', two);
    assert.match(text, /mount point \/, device \/dev\/sda1/);
    assert.match(text, /mount point \/data, device \/dev\/sdb1/);
  });

  it('Where names the object of every kind of alert', async () => {
    const job = {
      ...firingFs,
      labels: {
        alertname: 'HyperionJobFailed',
        severity: 'warning',
        instance: 'web1:8470',
        exported_job: 'backup',
      },
    };
    assert.match(
      await render('hyperion.slack.text', dataOf([job])),
      /\*Where:\* host web1:8470, job backup\n/,
    );
    const sensor = {
      ...firingFs,
      labels: {
        alertname: 'HyperionTemperatureHigh',
        severity: 'warning',
        instance: 'web1:8470',
        chip: 'nvme_nvme0',
        sensor: 'temp1',
      },
    };
    assert.match(
      await render('hyperion.slack.text', dataOf([sensor])),
      /\*Where:\* host web1:8470, sensor nvme_nvme0\/temp1\n/,
    );
    const ssh = {
      ...firingFs,
      labels: {
        alertname: 'HyperionSshHostKeyMismatch',
        severity: 'critical',
        instance: 'hub:8470',
        host: 'web2',
      },
    };
    assert.match(
      await render('hyperion.slack.text', dataOf([ssh])),
      /\*Where:\* host hub:8470, remote host web2\n/,
    );
  });

  it('e-mail: subject and plain text', async () => {
    const data = dataOf([firingFs], 'firing', 'email-critical');
    assert.equal(
      await render('hyperion.email.subject', data),
      '[FIRING:1] HyperionFilesystemAlmostFull (critical) on web1:8470',
    );
    const text = await render('hyperion.email.text', data);
    for (const line of [
      'FIRING: File system / on web1:8470 is almost full',
      '/ (/dev/sda1, ext4) on web1:8470 is 97% full (critical threshold 95%).',
      'Where: host web1:8470, mount point /, device /dev/sda1',
      'Since: 2024-05-01 10:00:00 UTC',
      'Runbook: https://runbooks.example.com/hyperion/RUNBOOK.md#hyperionfilesystemalmostfull',
      'Grafana: http://localhost:3000/a/hyperion-app/hosts?host=web1%3A8470',
      'Alertmanager: http://alertmanager.example:9093',
    ])
      assert.ok(text.split('\n').includes(line), `missing line ${JSON.stringify(line)} in:\n${text}`);
  });

  it('e-mail: HTML with the links, and every value escaped', async () => {
    const hostile = {
      ...firingFs,
      annotations: { ...firingFs.annotations, description: 'mount <script>alert(1)</script> & more' },
    };
    const html = await render('hyperion.email.html', dataOf([hostile], 'firing', 'email-critical'), 'html');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.ok(
      html.includes('<title>[FIRING:1] HyperionFilesystemAlmostFull (critical) on web1:8470</title>'),
    );
    assert.ok(html.includes('mount &lt;script&gt;alert(1)&lt;/script&gt; &amp; more'), html);
    assert.ok(!html.includes('<script>'));
    assert.ok(
      html.includes(
        '<a href="https://runbooks.example.com/hyperion/RUNBOOK.md#hyperionfilesystemalmostfull">Runbook</a>',
      ),
    );
    assert.ok(
      html.includes(
        '<a href="http://localhost:3000/a/hyperion-app/hosts?host=web1%3A8470">Open in Grafana</a>',
      ),
      html,
    );
    assert.ok(html.includes('<td>2024-05-01 10:00:00 UTC</td>'));
    assert.ok(html.includes('border-left:6px solid #d00000'));
  });
});
