/**
 * Alertmanager running the shipped configuration (derived as test/support/alertmanager-config.ts
 * allows), with its receivers on loopback: a local HTTP server standing in for Slack's incoming
 * webhook — the one boundary no machine here can reach — and for the generic webhook, and a real
 * SMTP server that only accepts the shipped account with the password from the secret file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { startAlertmanager, type RunningAlertmanager } from '../../../exporter/test/support/alertmanager.js';
import { deriveTestConfig, readShippedConfig } from './alertmanager-config.js';
import { startHttpReceiver, type HttpReceiver, type ReceivedRequest } from './http-receiver.js';
import { startSmtpSink, type SmtpSink } from './smtp-sink.js';

/** What Alertmanager posts to Slack (the fields Hyperion's configuration fills in). */
export interface SlackMessage {
  channel: string;
  attachments: { title: string; title_link: string; text: string; color: string; fallback: string }[];
}

/** Alertmanager's generic webhook body (version 4). */
export interface WebhookMessage {
  version: string;
  status: 'firing' | 'resolved';
  receiver: string;
  alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
}

export interface DeliveryStack {
  alertmanager: RunningAlertmanager;
  /** Stands in for Slack (paths under /services/) and for the generic webhook (/webhook). */
  receiver: HttpReceiver;
  smtp: SmtpSink;
  secrets: { slackUrl: string; smtpUser: string; smtpPassword: string; webhookToken: string };
  /** Messages received so far, by destination. */
  slack(): { request: ReceivedRequest; message: SlackMessage }[];
  webhook(): { request: ReceivedRequest; message: WebhookMessage }[];
  stop(): Promise<void>;
}

/** Test timings: notifications go out a second after an alert arrives or resolves. */
export const TEST_TIMING = { groupWait: '1s', groupInterval: '1s', repeatInterval: '1h' };

/** The receivers and the derived configuration, without an Alertmanager: for one or a cluster. */
export interface PreparedDelivery {
  /** The derived alertmanager.yml, in a temporary directory of its own. */
  configFile: string;
  receiver: HttpReceiver;
  smtp: SmtpSink;
  secrets: DeliveryStack['secrets'];
  /** Cleanups run by stop(), newest first; add the Alertmanagers' own. */
  cleanups: (() => Promise<void>)[];
  stop(): Promise<void>;
}

export async function prepareDelivery(): Promise<PreparedDelivery> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hyperion-delivery-'));
  const cleanups: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const shipped = readShippedConfig();
    const global = shipped.global as Record<string, unknown>;
    // The shipped account, so the test also proves smtp_auth_username is used as written.
    const smtpUser = String(global.smtp_auth_username);
    const smtpPassword = `pw-${process.pid}-${Date.now()}`;
    const webhookToken = `token-${process.pid}-${Date.now()}`;

    const receiver = await startHttpReceiver();
    cleanups.push(() => receiver.close());
    const smtp = await startSmtpSink({ username: smtpUser, password: smtpPassword });
    cleanups.push(() => smtp.close());

    const slackUrl = `${receiver.url}/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX`;
    const files = {
      slackUrlFile: path.join(dir, 'slack-webhook-url'),
      smtpPasswordFile: path.join(dir, 'smtp-password'),
      webhookTokenFile: path.join(dir, 'webhook-token'),
    };
    // The URL and token files as `echo … > file` writes them: Alertmanager trims the newline.
    // The password file without one: Alertmanager 0.25 sends the file's bytes as they are, so a
    // trailing newline fails the login (535) — the README tells operators to use printf '%s'.
    writeFileSync(files.slackUrlFile, `${slackUrl}\n`, { mode: 0o600 });
    writeFileSync(files.smtpPasswordFile, smtpPassword, { mode: 0o600 });
    writeFileSync(files.webhookTokenFile, `${webhookToken}\n`, { mode: 0o600 });

    const config = deriveTestConfig(shipped, {
      ...files,
      smtpSmarthost: `${smtp.host}:${smtp.port}`,
      webhookUrl: `${receiver.url}/webhook`,
      ...TEST_TIMING,
    });
    const configFile = path.join(dir, 'alertmanager.yml');
    writeFileSync(configFile, stringify(config));
    return {
      configFile,
      receiver,
      smtp,
      secrets: { slackUrl, smtpUser, smtpPassword, webhookToken },
      cleanups,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What arrived at the Slack stand-in, parsed. */
export function slackMessages(receiver: HttpReceiver): { request: ReceivedRequest; message: SlackMessage }[] {
  return receiver.requests
    .filter((r) => r.path.startsWith('/services/'))
    .map((request) => ({ request, message: request.body as SlackMessage }));
}

/** What arrived at the generic webhook stand-in, parsed. */
export function webhookMessages(
  receiver: HttpReceiver,
): { request: ReceivedRequest; message: WebhookMessage }[] {
  return receiver.requests
    .filter((r) => r.path === '/webhook')
    .map((request) => ({ request, message: request.body as WebhookMessage }));
}

export async function startDeliveryStack(): Promise<DeliveryStack> {
  const prepared = await prepareDelivery();
  try {
    const alertmanager = await startAlertmanager({ configFile: prepared.configFile });
    prepared.cleanups.push(() => alertmanager.stop());
    return {
      alertmanager,
      receiver: prepared.receiver,
      smtp: prepared.smtp,
      secrets: prepared.secrets,
      slack: () => slackMessages(prepared.receiver),
      webhook: () => webhookMessages(prepared.receiver),
      stop: prepared.stop,
    };
  } catch (error) {
    await prepared.stop();
    throw error;
  }
}
