/**
 * End to end, all real: the exporter watches a small tmpfs in a mount namespace the test made;
 * a real Prometheus (Debian's) scrapes it and evaluates the shipped rule files, unchanged, with
 * short intervals set on its command line and configuration; a real Alertmanager runs the
 * shipped alertmanager.yml (derived only in timings and endpoints); Slack is a local stand-in
 * (the one boundary no machine here can reach) and e-mail goes to a real local SMTP server.
 *
 * The test fills the file system past the critical threshold and waits for the Slack message
 * and the e-mail, then frees it and waits for the resolved ones, printing how long each took.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  scrapeJob,
  startPrometheus,
  type RunningPrometheus,
} from '../../exporter/test/support/prometheus.js';
import { parse } from 'yaml';
import { runbookAnchor, percent } from '../generator/alerts.js';
import { durationSeconds } from '../generator/duration.js';
import { ALERT_RULES_FILE } from '../generator/emit.js';
import { loadThresholds } from '../generator/thresholds.js';
import { ALERTING_DIR } from './support/alertmanager-config.js';
import { startDeliveryStack, type DeliveryStack } from './support/delivery-stack.js';
import { startTmpfsExporter, type TmpfsExporter } from './support/tmpfs-exporter.js';

const ALERT = 'HyperionFilesystemAlmostFull';
// What the shipped rule says, read from where the rule comes from rather than copied here.
const thresholds = loadThresholds(path.join(ALERTING_DIR, 'thresholds.yml'));
const CRITICAL = thresholds.filesystem_space_used.critical!;
const FOR_MS = durationSeconds(CRITICAL.for) * 1000;
const RUNBOOK = `${thresholds.links.runbook}#${runbookAnchor(ALERT)}`;

/** Prometheus' humanizePercentage: the value times 100 printed with Go's %.4g, then "%". */
function humanizePercentage(ratio: number): string {
  const digits = (ratio * 100).toPrecision(4);
  return `${digits.includes('.') ? digits.replace(/0+$/, '').replace(/\.$/, '') : digits}%`;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

describe('a file system filling up reaches Slack and e-mail, and so does its recovery', () => {
  let stack: DeliveryStack;
  let host: TmpfsExporter;
  let prometheus: RunningPrometheus;

  before(async () => {
    stack = await startDeliveryStack();
    host = await startTmpfsExporter('4m');
    prometheus = await startPrometheus({
      // The shipped files, by glob, as an operator's prometheus.yml would load them.
      ruleFiles: [path.join(ALERTING_DIR, 'rules/*.rules.yml')],
      scrapeConfigs: [scrapeJob('hyperion', host.exporter.url)],
      scrapeInterval: '1s',
      evaluationInterval: '1s',
      alertmanagerUrl: stack.alertmanager.url,
      // Prometheus re-sends firing alerts every minute by default; a second keeps this test short.
      extraArgs: ['--rules.alert.resend-delay=1s'],
    });
  });
  after(async () => {
    await prometheus?.stop();
    await host?.stop();
    await stack?.stop();
  });

  it('fires after its `for`, is delivered, then resolves', { timeout: 240_000 }, async (t) => {
    const instance = new URL(host.exporter.url).host;
    const where = { mountpoint: host.mountpoint, instance };

    // Prometheus loaded the shipped rules and sees the empty tmpfs: no alert for it yet.
    const loaded = await prometheus.api<{ groups: { file: string; rules: { type: string }[] }[] }>('rules');
    const shipped = parse(readFileSync(path.join(ALERTING_DIR, ALERT_RULES_FILE), 'utf8')) as {
      groups: { rules: unknown[] }[];
    };
    const alerting = loaded.groups.flatMap((g) => g.rules).filter((r) => r.type === 'alerting');
    assert.equal(alerting.length, shipped.groups.flatMap((g) => g.rules).length);
    await prometheus.waitFor(
      `hyperion_filesystem_avail_bytes{mountpoint="${host.mountpoint}",fstype="tmpfs",device="${host.device}"}`,
      (r) => r.length === 1 && r[0]!.value > 4_000_000,
    );
    assert.deepEqual(await prometheus.query(`ALERTS{mountpoint="${host.mountpoint}"}`), []);

    // The condition: 1000 of the tmpfs' 1024 pages in one file, past the critical threshold.
    const filledAt = Date.now();
    await host.inside(['fallocate', '-l', String(1000 * 4096), path.join(host.mountpoint, 'fill')]);
    const fs = await host.statfs();
    const used = 1 - fs.available / fs.blocks;
    assert.ok(used > CRITICAL.above && used < 1, `used ${used}, threshold ${CRITICAL.above}`);
    const value = humanizePercentage(used);
    const description = `${host.mountpoint} (${host.device}, tmpfs) on ${instance} is ${value} full (critical threshold ${percent(CRITICAL.above)}).`;

    // Pending first: the rule's `for` holds it back.
    await prometheus.waitFor(
      `ALERTS{alertname="${ALERT}",severity="critical",alertstate="pending",mountpoint="${host.mountpoint}"}`,
      (r) => r.length === 1,
      15_000,
    );

    const mentions = (text: string) => text.includes(host.mountpoint);
    const slack = await stack.receiver.waitFor(
      'the firing Slack message',
      (r) =>
        r.path.startsWith('/services/') &&
        mentions(JSON.stringify(r.body)) &&
        !JSON.stringify(r.body).includes('RESOLVED'),
      FOR_MS + 60_000,
    );
    const mail = await stack.smtp.waitFor(
      'the firing e-mail',
      (m) => m.subject.startsWith('[FIRING') && mentions(m.text),
      30_000,
    );
    const slackMs = slack.receivedAt - filledAt;
    const mailMs = mail.receivedAt - filledAt;
    t.diagnostic(
      `condition → Slack ${seconds(slackMs)}, → e-mail ${seconds(mailMs)} (rule for: ${FOR_MS / 1000} s)`,
    );
    // Not before the rule's `for` had elapsed, and not long after.
    assert.ok(slackMs >= FOR_MS && slackMs < FOR_MS + 30_000, `Slack after ${slackMs} ms`);
    assert.ok(mailMs >= FOR_MS && mailMs < FOR_MS + 30_000, `e-mail after ${mailMs} ms`);

    const message = stack.slack().find((s) => s.request === slack)!.message;
    assert.equal(message.channel, '#alerts');
    const [attachment] = message.attachments;
    assert.equal(attachment!.title, `[FIRING:1] ${ALERT} (critical) on ${instance}`);
    assert.equal(attachment!.color, 'danger');
    assert.equal(
      attachment!.title_link,
      thresholds.links.grafana_host.replace('{host}', encodeURIComponent(instance)),
    );
    assert.ok(attachment!.text.includes(description), attachment!.text);
    assert.ok(
      attachment!.text.includes(
        `*Where:* host ${instance}, mount point ${host.mountpoint}, device ${host.device}`,
      ),
    );
    assert.ok(attachment!.text.includes(`<${RUNBOOK}|Runbook>`), attachment!.text);

    assert.equal(mail.subject, `[FIRING:1] ${ALERT} (critical) on ${instance}`);
    assert.deepEqual(mail.to, ['oncall@example.com']);
    assert.equal(mail.user, stack.secrets.smtpUser);
    assert.ok(mail.text.includes(description), mail.text);
    assert.ok(mail.text.includes(`Runbook: ${RUNBOOK}`));
    assert.ok(mail.html.includes(`<a href="${RUNBOOK}">Runbook</a>`), mail.html);
    assert.ok(mail.html.includes(description), mail.html);

    const hook = stack
      .webhook()
      .find((h) => h.message.alerts.some((a) => a.labels.mountpoint === host.mountpoint));
    assert.ok(hook, 'the generic webhook got the alert');
    assert.equal(hook.request.headers.authorization, `Bearer ${stack.secrets.webhookToken}`);
    assert.equal(hook.message.status, 'firing');
    assert.equal(hook.message.alerts[0]!.annotations.runbook_url, RUNBOOK);
    assert.deepEqual(
      {
        mountpoint: hook.message.alerts[0]!.labels.mountpoint,
        instance: hook.message.alerts[0]!.labels.instance,
      },
      where,
    );

    // Remove the condition: the resolved notifications follow within seconds (no `for` on the way out).
    const freedAt = Date.now();
    await host.inside(['rm', '-f', path.join(host.mountpoint, 'fill')]);
    const resolvedSlack = await stack.receiver.waitFor(
      'the resolved Slack message',
      (r) =>
        r.path.startsWith('/services/') &&
        mentions(JSON.stringify(r.body)) &&
        JSON.stringify(r.body).includes('RESOLVED'),
      60_000,
    );
    const resolvedMail = await stack.smtp.waitFor(
      'the resolved e-mail',
      (m) => m.subject.startsWith('[RESOLVED]') && mentions(m.text),
      30_000,
    );
    t.diagnostic(
      `resolved → Slack ${seconds(resolvedSlack.receivedAt - freedAt)}, → e-mail ${seconds(resolvedMail.receivedAt - freedAt)}`,
    );
    const resolved = (resolvedSlack.body as typeof message).attachments[0]!;
    assert.equal(resolved.title, `[RESOLVED] ${ALERT} (critical) on ${instance}`);
    assert.equal(resolved.color, 'good');
    assert.match(resolved.text, /\*Resolved:\* \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    assert.equal(resolvedMail.subject, `[RESOLVED] ${ALERT} (critical) on ${instance}`);
    assert.ok(resolvedMail.text.includes('RESOLVED: File system'), resolvedMail.text);
    // The alert under test is gone. (The forecast rule may still hold a pending alert from the
    // evaluations while the disk was full; it is not this test's subject.)
    assert.deepEqual(
      await prometheus.query(`ALERTS{alertname="${ALERT}",mountpoint="${host.mountpoint}"}`),
      [],
    );
  });
});
