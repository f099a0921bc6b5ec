/**
 * The app in headless Chromium against a real exporter (see support/stack.ts): enrolment,
 * kill with a real TOTP code, stop/start a real systemd service, upload by drag and drop and
 * move by dragging, block an address in a real nftables table, create and run a job, the code
 * prompt refusing a wrong code, a Viewer refused — and screenshots of every page in dark and
 * light themes and at phone width (artifacts/screenshots/).
 *
 * Each scenario signs in as its own Grafana user, so each has its own second factor and never
 * waits for the TOTP clock of another.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { HarnessUser } from '../../harness/session';
import { TEST_UNIT, startStack, type Stack } from '../support/stack';
import { Authenticator, hotp } from '../support/totp';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SHOTS = path.join(ROOT, 'artifacts', 'screenshots');
const APP = '/a/hyperion-app';

let stack: Stack;

before(
  async () => {
    mkdirSync(SHOTS, { recursive: true });
    // A failure picture from an earlier run would mislead whoever reads this one.
    for (const f of readdirSync(SHOTS)) if (f.startsWith('FAILED-')) rmSync(path.join(SHOTS, f));
    stack = await startStack((line) => console.log(line));
  },
  { timeout: 600_000 },
);

after(async () => {
  await stack?.stop();
});

/** Runs a scenario on a page; on failure, saves what the page looked like. */
async function onPage(
  name: string,
  user: HarnessUser,
  scenario: (page: Page) => Promise<void>,
): Promise<void> {
  const page = await stack.page(user);
  try {
    await scenario(page);
  } catch (error) {
    await page
      .screenshot({ path: path.join(SHOTS, `FAILED-${name}.png`), fullPage: true })
      .catch(() => undefined);
    throw error;
  } finally {
    await page.context().close();
  }
}

/** Answers the code prompt the app opens when the exporter says otp-required. */
async function answerPrompt(page: Page, code: string): Promise<void> {
  const prompt = page.getByTestId('otp-prompt');
  await prompt.waitFor();
  await prompt.locator('#hyperion-otp-code').fill(code);
  await prompt.getByRole('button', { name: 'Confirm' }).click();
}

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return Promise.race([
    new Promise<boolean>((r) => child.once('exit', () => r(true))),
    delay(ms).then(() => false),
  ]);
}

interface AuditRecord {
  actor: string;
  action: string;
  target: string | null;
  otpUsed: boolean;
  result: string;
  error: string | null;
}

async function audit(action: string, actor: string): Promise<AuditRecord[]> {
  const r = await stack.api<{ items: AuditRecord[] }>(
    { login: 'auditor', role: 'Admin' },
    'GET',
    `/audit?action=${action}&actor=${actor}`,
  );
  assert.equal(r.status, 200);
  return r.body.items;
}

test('the test TOTP matches RFC 6238’s own test vector', () => {
  // RFC 6238 appendix B: ASCII "12345678901234567890", T = 59 s → 94287082 (8 digits).
  assert.equal(hotp(Buffer.from('12345678901234567890'), 1), '287082');
});

test(
  'configuration page: each route reaches the exporter with its role, and the admin enrols a second factor',
  { timeout: 180_000 },
  async () => {
    const ada: HarnessUser = { login: 'ada', role: 'Admin' };
    await onPage('config', ada, async (page) => {
      await page.goto(`${stack.harness.url}/plugins/hyperion-app`);
      await page.getByRole('button', { name: 'Test connection' }).click();
      const checks = page.getByTestId('connection-test');
      await checks.getByText('admin token grafana-admin, acting as ada').waitFor();
      const text = await checks.innerText();
      assert.match(text, /viewer token grafana-viewer, acting as ada/);
      assert.match(text, /operator token grafana-operator, acting as ada/);

      await page.getByRole('button', { name: 'Enrol a second factor' }).click();
      await page.getByRole('img', { name: 'QR code of the otpauth URI' }).waitFor();
      const secret = (await page.getByTestId('otp-secret').innerText()).trim();
      const auth = new Authenticator(secret);
      await page.locator('#hyperion-enrol-code').fill(await auth.next());
      await page.getByRole('button', { name: 'Confirm', exact: true }).click();
      await page.getByText('Second factor active').first().waitFor();
    });
    const me = await stack.api<{ actor: string; otp: { confirmed: boolean } }>(ada, 'GET', '/auth/whoami');
    assert.equal(me.body.actor, 'ada');
    assert.equal(me.body.otp.confirmed, true);
  },
);

test(
  'processes: kill a sleep the test started, with the chosen signal and a real code',
  { timeout: 180_000 },
  async () => {
    const olga: HarnessUser = { login: 'olga', role: 'Editor' };
    const auth = await stack.enrol(olga);
    const marker = '613.371';
    const sleeper = stack.spawnInside(['sleep', marker]);
    await onPage('processes', olga, async (page) => {
      await page.goto(`${stack.harness.url}${APP}/processes?host=local&search=${marker}`);
      const row = page.locator('[data-testid^="process-"]', { hasText: 'sleep' });
      await row.waitFor();
      assert.equal(await row.count(), 1);
      await row.getByRole('button', { name: /signal/i }).click();
      const dialog = page.getByTestId('signal-dialog');
      // Grafana's radio buttons lay the (transparent) input over its label: the input takes the click.
      await dialog.locator('input[type="radio"][title="KILL"]').click();
      await page.getByRole('button', { name: 'Send KILL' }).click();
      await answerPrompt(page, await auth.next());
      await page
        .getByTestId('action-success')
        .getByText(/Sent KILL to sleep/)
        .waitFor();
    });
    assert.equal(await exited(sleeper, 10_000), true, 'the sleep process is gone');
    const [record] = await audit('process.signal', 'olga');
    assert.equal(record?.result, 'ok');
    assert.equal(record?.otpUsed, true);
  },
);

test(
  'services: stop and start a real systemd service, state read back each time',
  { timeout: 240_000 },
  async () => {
    const sam: HarnessUser = { login: 'sam', role: 'Editor' };
    const auth = await stack.enrol(sam);
    const isActive = async () =>
      (await stack.systemd.run(['systemctl', 'is-active', TEST_UNIT])).stdout.trim();
    assert.equal(await isActive(), 'active');
    await onPage('services', sam, async (page) => {
      await page.goto(`${stack.harness.url}${APP}/services?host=local&name=hyperion-ui-test`);
      const row = page.getByTestId(`service-${TEST_UNIT}`);
      await row.getByText('active (running)').waitFor();

      await row.getByRole('button', { name: `Actions for ${TEST_UNIT}` }).click();
      await page.getByRole('menuitem', { name: 'Stop', exact: true }).click();
      await page.getByTestId('data-testid Confirm Modal Danger Button').click();
      await answerPrompt(page, await auth.next());
      await page.getByTestId('action-success').getByText(`${TEST_UNIT} is now inactive (dead)`).waitFor();
      assert.equal(await isActive(), 'inactive');
      await row.getByText('inactive (dead)').waitFor();

      await row.getByRole('button', { name: `Actions for ${TEST_UNIT}` }).click();
      await page.getByRole('menuitem', { name: 'Start', exact: true }).click();
      await page.getByTestId('data-testid Confirm Modal Danger Button').click();
      await answerPrompt(page, await auth.next());
      await page.getByTestId('action-success').getByText(`${TEST_UNIT} is now active (running)`).waitFor();
    });
    assert.equal(await isActive(), 'active');
  },
);

test(
  'files: upload by dropping a file from the desktop, then move it into a folder by dragging',
  { timeout: 240_000 },
  async () => {
    const fay: HarnessUser = { login: 'fay', role: 'Admin' };
    const auth = await stack.enrol(fay);
    mkdirSync(path.join(stack.shareDir, 'inbox'));
    await onPage('files', fay, async (page) => {
      await page.goto(`${stack.harness.url}${APP}/files?host=local&root=share`);
      await page.getByTestId('file-inbox').waitFor();
      // What the browser hands a page when files are dragged in from the desktop.
      const transfer = await page.evaluateHandle(() => {
        const dt = new DataTransfer();
        dt.items.add(new File(['hello from the browser\n'], 'report.txt', { type: 'text/plain' }));
        return dt;
      });
      const zone = page.getByTestId('file-drop-zone');
      await zone.dispatchEvent('dragover', { dataTransfer: transfer });
      await zone.dispatchEvent('drop', { dataTransfer: transfer });
      await answerPrompt(page, await auth.next());
      await page.locator('[data-testid="upload-report.txt"][data-status="done"]').waitFor();
      assert.equal(readFileSync(path.join(stack.shareDir, 'report.txt'), 'utf8'), 'hello from the browser\n');

      await page.getByTestId('file-report.txt').dragTo(page.getByTestId('file-inbox'));
      await answerPrompt(page, await auth.next());
      await page.getByTestId('action-success').getByText('Moved report.txt to /inbox').waitFor();
    });
    assert.equal(existsSync(path.join(stack.shareDir, 'report.txt')), false);
    assert.equal(
      readFileSync(path.join(stack.shareDir, 'inbox', 'report.txt'), 'utf8'),
      'hello from the browser\n',
    );
  },
);

test(
  'firewall: block an address for an hour and see it listed and enforced',
  { timeout: 180_000 },
  async () => {
    const finn: HarnessUser = { login: 'finn', role: 'Editor' };
    const auth = await stack.enrol(finn);
    await onPage('firewall', finn, async (page) => {
      await page.goto(`${stack.harness.url}${APP}/network?host=local`);
      await page.getByRole('button', { name: 'Block…' }).click();
      const dialog = page.getByTestId('block-dialog');
      await dialog.locator('#hyperion-block-target').fill('192.0.2.77');
      await dialog.locator('#hyperion-block-reason').fill('port scan from the browser test');
      await page.getByRole('button', { name: 'Block 192.0.2.77' }).click();
      await answerPrompt(page, await auth.next());
      const row = page.getByTestId('block-192.0.2.77');
      await row.waitFor();
      const text = await row.innerText();
      assert.match(text, /port scan from the browser test/);
      assert.match(text, /(59|60) min/);
      await row.getByText('enforced').waitFor({ timeout: 15_000 });
    });
    assert.match(await stack.nft(), /192\.0\.2\.77/);
  },
);

test(
  'jobs: create a job with a previewed schedule, run it now, read its output',
  { timeout: 240_000 },
  async () => {
    const jo: HarnessUser = { login: 'jo', role: 'Admin' };
    const auth = await stack.enrol(jo);
    await onPage('jobs', jo, async (page) => {
      await page.goto(`${stack.harness.url}${APP}/jobs?host=local`);
      await page.getByRole('button', { name: 'New job' }).click();
      const editor = page.getByTestId('job-editor');
      await editor.locator('#job-name').fill('ui-hello');
      await editor.locator('#job-schedule').fill('0 3 * * *');
      const preview = page.getByTestId('cron-preview');
      await preview.getByText(/Next runs/).waitFor();
      assert.equal(await preview.locator('li').count(), 5);
      await editor.locator('#job-argv').fill('/bin/echo\nhello-from-the-ui');
      await editor.getByRole('button', { name: 'Create job' }).click();
      await answerPrompt(page, await auth.next());
      await page.getByTestId('action-success').getByText('Created job ui-hello').waitFor();

      const row = page.getByTestId('job-ui-hello');
      await row.getByRole('button', { name: /run now/i }).click();
      await answerPrompt(page, await auth.next());
      await page
        .getByTestId('action-success')
        .getByText(/Started run #\d+ of ui-hello/)
        .waitFor();
      await row.getByRole('button', { name: /history/i }).click();
      const run = page.locator('[data-testid^="run-"]').filter({ hasText: 'success' });
      await run.waitFor({ timeout: 30_000 });
      await run.getByRole('button').click();
      await page.getByTestId('run-output').getByText('hello-from-the-ui').waitFor();
    });
  },
);

test(
  'the code prompt: a refused action asks for a code, and a wrong one changes nothing',
  { timeout: 180_000 },
  async () => {
    const wendy: HarnessUser = { login: 'wendy', role: 'Editor' };
    const auth = await stack.enrol(wendy);
    const marker = '617.113';
    const sleeper = stack.spawnInside(['sleep', marker]);
    await onPage('otp-refused', wendy, async (page) => {
      await page.goto(`${stack.harness.url}${APP}/processes?host=local&search=${marker}`);
      const row = page.locator('[data-testid^="process-"]', { hasText: 'sleep' });
      await row.getByRole('button', { name: /signal/i }).click();
      await page.getByRole('button', { name: 'Send TERM' }).click();
      const prompt = page.getByTestId('otp-prompt');
      await prompt.getByText(/Send TERM to sleep/).waitFor();
      await answerPrompt(page, auth.wrong());
      const error = page.getByTestId('action-error');
      await error.getByText('Wrong one-time code').waitFor();
      assert.match(await error.innerText(), /Nothing was changed/);
      assert.equal(await prompt.count(), 0, 'retried once, not prompted again');
    });
    assert.equal(await exited(sleeper, 2000), false, 'the process is still running');
    const [record] = await audit('process.signal', 'wendy');
    assert.equal(record?.result, 'refused');
    assert.match(record?.error ?? '', /wrong, expired or was already used/);

    // A Viewer's route carries the viewer token: the exporter refuses the role, no code is asked.
    await onPage('viewer-refused', { login: 'vic', role: 'Viewer' }, async (page) => {
      await page.goto(`${stack.harness.url}${APP}/processes?host=local&search=${marker}`);
      await page
        .locator('[data-testid^="process-"]', { hasText: 'sleep' })
        .getByRole('button', { name: /signal/i })
        .click();
      await page.getByRole('button', { name: 'Send TERM' }).click();
      await page.getByTestId('action-error').getByText('Not allowed', { exact: true }).waitFor();
      assert.equal(await page.getByTestId('otp-prompt').count(), 0);
    });
    assert.equal(await exited(sleeper, 1000), false);
  },
);

test('overview: each host with what a real Prometheus knows of it', { timeout: 180_000 }, async () => {
  // The recording rule the CPU column reads needs two scrapes first.
  await stack.prometheus.waitFor('hyperion:cpu_busy:ratio_rate5m', (r) => r.length > 0, 60_000);
  await onPage('overview', { login: 'olivia', role: 'Viewer' }, async (page) => {
    await page.goto(`${stack.harness.url}${APP}/overview`);
    const row = page.getByTestId('overview-local');
    await row.getByText('up', { exact: true }).waitFor();
    assert.match(await row.innerText(), /\d+ %/, 'CPU and memory from the recording rules');
    await row.getByRole('link', { name: 'local' }).click();
    await page.getByTestId('host-local').waitFor();
    assert.match(page.url(), /\/a\/hyperion-app\/hosts\?host=local$/);
  });
});

const PAGES: { name: string; path: string; ready: string }[] = [
  { name: 'overview', path: `${APP}/overview`, ready: 'overview-local' },
  { name: 'processes', path: `${APP}/processes`, ready: 'process-count' },
  { name: 'services', path: `${APP}/services`, ready: `service-${TEST_UNIT}` },
  { name: 'files', path: `${APP}/files?root=share`, ready: 'page-files' },
  { name: 'network', path: `${APP}/network`, ready: 'interface-lo' },
  { name: 'jobs', path: `${APP}/jobs`, ready: 'page-jobs' },
  { name: 'hosts', path: `${APP}/hosts`, ready: 'host-local' },
  { name: 'audit', path: `${APP}/audit`, ready: 'page-audit' },
  { name: 'second-factor', path: `${APP}/second-factor`, ready: 'otp-enrolment' },
  { name: 'configuration', path: '/plugins/hyperion-app', ready: 'app-config' },
];

const VARIANTS = [
  { suffix: 'dark', theme: 'dark' as const, width: 1280, height: 800 },
  { suffix: 'light', theme: 'light' as const, width: 1280, height: 800 },
  { suffix: 'phone', theme: 'dark' as const, width: 390, height: 844 },
];

test('screenshots of every page, dark and light, and at 390 px', { timeout: 300_000 }, async () => {
  const shot: HarnessUser = { login: 'screenshots', role: 'Admin' };
  const tooWide: string[] = [];
  for (const variant of VARIANTS) {
    const page = await stack.page(shot, variant);
    try {
      for (const p of PAGES) {
        await page.goto(`${stack.harness.url}${p.path}`);
        await page.getByTestId(p.ready).first().waitFor();
        await page.getByTestId('state-loading').waitFor({ state: 'detached' });
        // Icons arrive as separate requests; live pages keep polling, so idle may never come.
        await page.waitForLoadState('networkidle', { timeout: 3000 }).catch(() => undefined);
        assert.equal(await page.getByTestId('state-error').count(), 0, `${p.name} shows an error`);
        const file = path.join(SHOTS, `${p.name}-${variant.suffix}.png`);
        await page.screenshot({ path: file, fullPage: true });
        assert.ok(existsSync(file));
        if (variant.width < 500) {
          // Nothing may scroll sideways on a phone: tables drop columns, toolbars wrap.
          const overflow = await page.evaluate(
            () => document.documentElement.scrollWidth - window.innerWidth,
          );
          if (overflow > 1) tooWide.push(`${p.name} (+${overflow} px)`);
        }
      }
    } finally {
      await page.context().close();
    }
  }
  assert.deepEqual(tooWide, [], `wider than a 390 px phone: ${tooWide.join(', ')}`);
});
