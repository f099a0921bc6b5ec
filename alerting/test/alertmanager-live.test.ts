/**
 * A real Alertmanager running the shipped configuration, fed alerts through its API: inhibition
 * mutes what the configuration says it mutes (and nothing else), each severity reaches its
 * receivers (Slack channel, e-mail, webhook) with the secrets read from their files.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GettableAlert, PostableAlert } from '../../exporter/test/support/alertmanager.js';
import { startDeliveryStack, type DeliveryStack } from './support/delivery-stack.js';
import { waitUntil } from './support/wait.js';

const RUNBOOK = 'https://runbooks.example.com/hyperion/RUNBOOK.md';

function alert(labels: Record<string, string>, summary: string): PostableAlert {
  return {
    labels,
    annotations: {
      summary,
      description: `${summary}, described`,
      runbook_url: `${RUNBOOK}#${labels.alertname!.toLowerCase()}`,
      dashboard_url: `http://localhost:3000/a/hyperion-app/hosts?host=${encodeURIComponent(labels.instance ?? '')}`,
    },
    // No startsAt: Alertmanager then uses the time it received the alert. A startsAt older than
    // group_wait makes it flush a new group at once, before the rest of the batch has joined it.
    generatorURL: 'http://127.0.0.1:9090/graph',
  };
}

const fs = (severity: string, instance: string, mountpoint: string) =>
  alert(
    {
      alertname: 'HyperionFilesystemAlmostFull',
      severity,
      instance,
      mountpoint,
      device: '/dev/x',
      fstype: 'ext4',
    },
    `${severity} ${mountpoint} on ${instance}`,
  );

const ALERTS: PostableAlert[] = [
  fs('critical', 'web1:8470', '/'),
  fs('warning', 'web1:8470', '/'), // muted: the critical of the same alert, host and mount point
  fs('warning', 'web1:8470', '/data'), // not muted: another mount point
  alert({ alertname: 'HyperionHostUnreachable', severity: 'critical', instance: 'web2' }, 'web2 unreachable'),
  fs('warning', 'web2', '/var'), // muted: its host is unreachable
  alert({ alertname: 'HyperionCpuBusy', severity: 'info', instance: 'web2' }, 'web2 busy'), // muted too
  alert({ alertname: 'HyperionCpuBusy', severity: 'info', instance: 'web3' }, 'web3 busy'),
];

describe('Alertmanager with the shipped configuration', () => {
  let stack: DeliveryStack;
  let held: GettableAlert[];

  before(async () => {
    stack = await startDeliveryStack();
    await stack.alertmanager.postAlerts(ALERTS);
    // Everything that is not muted has reached its receivers once these arrived.
    await stack.receiver.waitFor(
      'the info alert in Slack',
      (r) => JSON.stringify(r.body).includes('web3 busy'),
      20_000,
    );
    await waitUntil('two critical e-mails', () => (stack.smtp.mails.length >= 2 ? true : undefined), 20_000);
    // Muted alerts would have been sent with the others (group_wait 1 s); give them 3 s more.
    await new Promise((r) => setTimeout(r, 3000));
    held = await stack.alertmanager.alerts();
  });
  after(async () => {
    await stack?.stop();
  });

  const state = (summary: string) => {
    const found = held.find((a) => a.annotations.summary === summary);
    assert.ok(found, `Alertmanager does not hold "${summary}"`);
    return found.status;
  };

  it('a critical mutes the warning of the same alert, host and mount point only', () => {
    assert.equal(state('warning / on web1:8470').state, 'suppressed');
    assert.equal(state('warning / on web1:8470').inhibitedBy.length, 1);
    assert.equal(state('warning /data on web1:8470').state, 'active');
    assert.equal(state('critical / on web1:8470').state, 'active');
  });

  it("an unreachable host mutes that host's other alerts, not other hosts'", () => {
    assert.equal(state('web2 unreachable').state, 'active');
    assert.equal(state('warning /var on web2').state, 'suppressed');
    assert.equal(state('web2 busy').state, 'suppressed');
    assert.equal(state('web3 busy').state, 'active');
  });

  it('no muted alert was delivered anywhere', () => {
    const delivered = JSON.stringify([
      ...stack.receiver.requests.map((r) => r.body),
      ...stack.smtp.mails.map((m) => m.raw),
    ]);
    for (const muted of ['warning / on web1:8470', 'warning /var on web2', 'web2 busy'])
      assert.ok(!delivered.includes(muted), `"${muted}" was delivered`);
  });

  it('Slack: critical and warning to #alerts, info to the quieter #alerts-info', () => {
    const byText = (needle: string) =>
      stack.slack().filter((s) => s.message.attachments[0]!.text.includes(needle));
    const critical = byText('critical / on web1:8470');
    assert.equal(critical.length, 1);
    assert.equal(critical[0]!.message.channel, '#alerts');
    assert.equal(critical[0]!.message.attachments[0]!.color, 'danger');
    const warning = byText('warning /data on web1:8470');
    assert.equal(warning.length, 1);
    assert.equal(warning[0]!.message.channel, '#alerts');
    assert.equal(warning[0]!.message.attachments[0]!.color, 'warning');
    const info = byText('web3 busy');
    assert.equal(info.length, 1);
    assert.equal(info[0]!.message.channel, '#alerts-info');
    // The URL came from slack_api_url_file (trailing newline trimmed), path and all.
    assert.equal(`${stack.receiver.url}${info[0]!.request.path}`, stack.secrets.slackUrl);
  });

  it('e-mail: only critical alerts, sent with the shipped account and the password from its file', () => {
    const subjects = stack.smtp.mails.map((m) => m.subject).sort();
    assert.deepEqual(subjects, [
      '[FIRING:1] HyperionFilesystemAlmostFull (critical) on web1:8470',
      '[FIRING:1] HyperionHostUnreachable (critical) on web2',
    ]);
    for (const mail of stack.smtp.mails) {
      assert.equal(mail.user, stack.secrets.smtpUser);
      assert.equal(mail.from, 'alerts@example.com');
      assert.deepEqual(mail.to, ['oncall@example.com']);
    }
    assert.deepEqual(stack.smtp.rejectedLogins, []);
  });

  it('webhook: critical and warning alerts as JSON, with the bearer token from its file', () => {
    // One call per group (alertname, instance): web1's two file systems travel together.
    const hooks = stack.webhook();
    assert.equal(hooks.length, 2, JSON.stringify(hooks.map((h) => h.message)));
    for (const { request, message } of hooks) {
      assert.equal(request.headers.authorization, `Bearer ${stack.secrets.webhookToken}`);
      assert.equal(message.version, '4');
      assert.equal(message.receiver, 'webhook');
      for (const a of message.alerts)
        assert.ok(['critical', 'warning'].includes(a.labels.severity!), a.labels.severity);
    }
    const summaries = hooks.flatMap((h) => h.message.alerts.map((a) => a.annotations.summary)).sort();
    assert.deepEqual(summaries, [
      'critical / on web1:8470',
      'warning /data on web1:8470',
      'web2 unreachable',
    ]);
  });
});
