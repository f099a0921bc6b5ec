/**
 * The shipped Alertmanager cluster, for real: the three members of
 * provisioning/scale-out/docker-compose.alertmanager-cluster.yml, each started by the real
 * prometheus-alertmanager binary with the flags that file gives it (addresses made loopback
 * ports: the only change), all running the shipped alertmanager.yml (derived as every test here
 * derives it: timings, local receivers, secret files). A real Prometheus with the shipped
 * provisioning/scale-out/prometheus-alertmanager-cluster.yml sends one critical alert to every
 * member. Every member holds the alert, and yet exactly one notification reaches each receiver:
 * one webhook post, one e-mail through a real SMTP dialogue, one Slack message — and no second
 * one after the members' own wait for each other (15 s per position) has run out.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { parse } from 'yaml';
import { ALERTMANAGER_BIN } from '../../exporter/test/support/alertmanager.js';
import { startDaemon, type Daemon } from '../../exporter/test/support/daemon.js';
import { freePort } from '../../exporter/test/support/ports.js';
import { startPrometheus, type RunningPrometheus } from '../../exporter/test/support/prometheus.js';
import { ALERTING_DIR } from './support/alertmanager-config.js';
import {
  prepareDelivery,
  slackMessages,
  webhookMessages,
  type PreparedDelivery,
} from './support/delivery-stack.js';
import { waitUntil } from './support/wait.js';

const SCALE_OUT = path.join(ALERTING_DIR, '..', 'provisioning', 'scale-out');
const COMPOSE = path.join(SCALE_OUT, 'docker-compose.alertmanager-cluster.yml');
const PROMETHEUS_SNIPPET = path.join(SCALE_OUT, 'prometheus-alertmanager-cluster.yml');
/** Alertmanager's default --cluster.peer-timeout: how long each position waits for the ones before it. */
const PEER_TIMEOUT_MS = 15_000;
const ALERT = 'HyperionClusterCheck';

interface Member {
  name: string;
  web: number;
  gossip: number;
  daemon?: Daemon;
  url: string;
}

/** The command each service of the compose override runs, by service name. */
function shippedCommands(): Map<string, string[]> {
  const doc = parse(readFileSync(COMPOSE, 'utf8')) as { services: Record<string, { command?: string[] }> };
  return new Map(Object.entries(doc.services).map(([name, s]) => [name, s.command ?? []]));
}

/**
 * The shipped flags of one member, for loopback: every flag is translated or the test fails,
 * so a flag added to the file is either run here or explained.
 */
function translate(
  flags: string[],
  member: Member,
  members: Map<string, Member>,
  configFile: string,
  dir: string,
) {
  const out = flags.map((flag) => {
    const [name, value = ''] = flag.split(/=(.*)/s);
    switch (name) {
      case '--config.file':
        return `--config.file=${configFile}`;
      case '--storage.path':
        return `--storage.path=${dir}`;
      case '--web.external-url':
        return `--web.external-url=${member.url}/`;
      case '--cluster.listen-address':
        assert.equal(value, '0.0.0.0:9094', 'the shipped gossip address');
        return `--cluster.listen-address=127.0.0.1:${member.gossip}`;
      case '--cluster.peer': {
        const [host, port] = value.split(':');
        assert.equal(port, '9094');
        const peer = members.get(host!);
        assert.ok(peer, `${member.name} names a peer the file does not define: ${value}`);
        return `--cluster.peer=127.0.0.1:${peer.gossip}`;
      }
      default:
        throw new Error(`${COMPOSE}: flag ${flag} of ${member.name} is new to this test: translate it`);
    }
  });
  // The image listens on :9093 inside its own network namespace; here each member needs a port.
  return [...out, `--web.listen-address=127.0.0.1:${member.web}`];
}

let delivery: PreparedDelivery;
let prom: RunningPrometheus;
const members = new Map<string, Member>();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'hyperion-am-cluster-'));

before(async () => {
  delivery = await prepareDelivery();
  const commands = shippedCommands();
  assert.deepEqual([...commands.keys()], ['alertmanager', 'alertmanager-2', 'alertmanager-3']);
  for (const name of commands.keys()) {
    const [web, gossip] = [await freePort(), await freePort()];
    members.set(name, { name, web, gossip, url: `http://127.0.0.1:${web}` });
  }
  // All at once: each one's readiness waits for the gossip to settle, which needs the others.
  await Promise.all(
    [...members.values()].map(async (member) => {
      const dir = path.join(tmp, member.name);
      mkdirSync(dir);
      member.daemon = await startDaemon({
        name: member.name,
        binary: ALERTMANAGER_BIN,
        args: translate(commands.get(member.name)!, member, members, delivery.configFile, dir),
        readyUrl: `${member.url}/-/healthy`,
        timeoutMs: 60_000,
      });
    }),
  );
  // The snippet Prometheus runs with, with only the members' addresses made local.
  let snippet = readFileSync(PROMETHEUS_SNIPPET, 'utf8');
  for (const member of members.values()) {
    const shipped = `${member.name}:9093`;
    assert.ok(snippet.includes(shipped), `the snippet sends to ${shipped}`);
    snippet = snippet.replace(shipped, `127.0.0.1:${member.web}`);
  }
  const rules = path.join(tmp, 'cluster-check.rules.yml');
  writeFileSync(
    rules,
    [
      'groups:',
      '  - name: cluster-check',
      '    rules:',
      `      - alert: ${ALERT}`,
      '        expr: vector(1)',
      // Firing only once Prometheus has found the Alertmanagers (its discovery hands targets
      // over every 5 s): an alert that fires before that is dropped, and sent again only a
      // minute later (--rules.alert.resend-delay).
      '        for: 10s',
      '        labels: { severity: critical, instance: cluster-check.example }',
      '        annotations:',
      '          summary: one alert, three Alertmanagers',
      '          description: sent by Prometheus to every member of the cluster',
      `          runbook_url: https://runbooks.example.com/hyperion/RUNBOOK.md#${ALERT.toLowerCase()}`,
      '          dashboard_url: http://localhost:3000/a/hyperion-app',
    ].join('\n'),
  );
  prom = await startPrometheus({ configYaml: snippet, ruleFiles: [rules], evaluationInterval: '1s' });
});

after(async () => {
  await prom?.stop();
  for (const m of members.values()) await m.daemon?.stop();
  await delivery?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('the shipped Alertmanager cluster (three members, shipped flags and configuration)', () => {
  it('forms one cluster: every member sees the three', async () => {
    for (const m of members.values()) {
      await waitUntil(
        `${m.name} sees three members`,
        async () => {
          const res = await fetch(`${m.url}/api/v2/status`);
          const body = (await res.json()) as { cluster: { status: string; peers: unknown[] | null } };
          return body.cluster.peers?.length === 3 && body.cluster.status === 'ready' ? true : undefined;
        },
        60_000,
      );
    }
  });

  it('Prometheus sends the alert to every member, and exactly one notification goes out per receiver', async () => {
    const ams = await prom.api<{ activeAlertmanagers: { url: string }[] }>('alertmanagers');
    assert.deepEqual(
      ams.activeAlertmanagers.map((a) => a.url).sort(),
      [...members.values()].map((m) => `${m.url}/api/v2/alerts`).sort(),
    );
    // Every member holds the alert: the single notification below is the cluster's doing, not
    // a member that never heard of it.
    for (const m of members.values()) {
      await waitUntil(
        `${m.name} holds ${ALERT}`,
        async () => {
          const res = await fetch(`${m.url}/api/v2/alerts`);
          const alerts = (await res.json()) as { labels: Record<string, string> }[];
          return alerts.some((a) => a.labels.alertname === ALERT) ? true : undefined;
        },
        30_000,
      );
    }
    const ours = {
      webhook: () =>
        webhookMessages(delivery.receiver).filter((w) =>
          w.message.alerts.some((a) => a.labels.alertname === ALERT),
        ),
      mail: () => delivery.smtp.mails.filter((m) => m.subject.includes(ALERT) || m.text.includes(ALERT)),
      slack: () => slackMessages(delivery.receiver).filter((s) => JSON.stringify(s.message).includes(ALERT)),
    };
    await waitUntil('the webhook notification', () => (ours.webhook().length > 0 ? true : undefined), 30_000);
    await waitUntil('the e-mail', () => (ours.mail().length > 0 ? true : undefined), 30_000);
    await waitUntil('the Slack message', () => (ours.slack().length > 0 ? true : undefined), 30_000);
    const first = Math.min(...ours.webhook().map((w) => w.request.receivedAt));
    // The last member in line waits two peer timeouts for the others' notification log before
    // it would send: wait that out, and a little more, before counting.
    const waitUntilMs = first + 2 * PEER_TIMEOUT_MS + 5_000 - Date.now();
    if (waitUntilMs > 0) await delay(waitUntilMs);
    assert.equal(ours.webhook().length, 1, 'one webhook post');
    assert.equal(ours.mail().length, 1, 'one e-mail');
    assert.equal(ours.slack().length, 1, 'one Slack message');
    const [hook] = ours.webhook();
    assert.equal(hook!.message.status, 'firing');
    assert.equal(hook!.request.headers.authorization, `Bearer ${delivery.secrets.webhookToken}`);
    const [mail] = ours.mail();
    assert.equal(mail!.user, delivery.secrets.smtpUser, 'authenticated with the shipped account');
    // From the members' side: between them they sent one notification per integration, and
    // each knows the other two.
    const sent: Record<string, number> = {};
    for (const m of members.values()) {
      const metrics = await (await fetch(`${m.url}/metrics`)).text();
      assert.match(metrics, /^alertmanager_cluster_members 3$/m, m.name);
      for (const [, integration, value] of metrics.matchAll(
        /^alertmanager_notifications_total\{integration="(\w+)"\} (\d+)$/gm,
      )) {
        sent[integration!] = (sent[integration!] ?? 0) + Number(value);
      }
    }
    assert.equal(sent.webhook, 1, JSON.stringify(sent));
    assert.equal(sent.email, 1, JSON.stringify(sent));
    assert.equal(sent.slack, 1, JSON.stringify(sent));
  });
});
