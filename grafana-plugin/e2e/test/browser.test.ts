/**
 * The app in headless Chromium against a real exporter and a real Prometheus (see
 * support/stack.ts): every action a page offers, each checked on the real system (processes in
 * /proc, systemd units, nftables, files on disk, the audit log, a real SSH host), the shipped
 * module.js loaded as Grafana loads it, theme colours, search characters, phone-width touch
 * targets — and screenshots of every page in dark and light themes (artifacts/screenshots/).
 * Every scenario fails on a page error or an unexpected 5xx answer.
 *
 * Each scenario signs in as its own Grafana user, so each has its own second factor and never
 * waits for the TOTP clock of another.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Download, Page } from 'playwright-core';
import type { HarnessUser } from '../../harness/session';
import { PEER_ADDRESS, TEST_UNIT, TEST_UNIT_DESCRIPTION, startStack, type Stack } from '../support/stack';
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

/**
 * Runs a scenario on a page; fails it on any page error or 5xx answer the scenario did not
 * expect; on failure, saves what the page looked like.
 */
async function onPage(
  name: string,
  user: HarnessUser,
  scenario: (page: Page) => Promise<void>,
  options: Parameters<Stack['page']>[1] & { expectServerErrors?: RegExp } = {},
): Promise<void> {
  const page = await stack.page(user, options);
  try {
    await scenario(page);
    const { errors, serverErrors } = stack.problemsOf(page);
    assert.deepEqual(errors, [], `page errors on ${name}`);
    const unexpected = serverErrors.filter((e) => !options.expectServerErrors?.test(e));
    assert.deepEqual(unexpected, [], `unexpected 5xx answers on ${name}`);
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
  host: string | null;
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
      await page.goto(`${stack.harness.url}${APP}/services?host=local&search=hyperion-ui-test`);
      const row = page.getByTestId(`service-${TEST_UNIT}`);
      await row.getByText('active (running)').waitFor();

      await row.getByRole('button', { name: `Stop ${TEST_UNIT}`, exact: true }).click();
      await page.getByTestId('data-testid Confirm Modal Danger Button').click();
      await answerPrompt(page, await auth.next());
      await page.getByTestId('action-success').getByText(`${TEST_UNIT} is now inactive (dead)`).waitFor();
      assert.equal(await isActive(), 'inactive');
      await row.getByText('inactive (dead)').waitFor();

      await row.getByRole('button', { name: `Start ${TEST_UNIT}`, exact: true }).click();
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
    stack.placeInShare('inbox');
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
      assert.match(text, /(59|60) minutes?|1 hour/);
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
      await row.getByRole('button', { name: 'Run ui-hello now' }).click();
      await answerPrompt(page, await auth.next());
      await page
        .getByTestId('action-success')
        .getByText(/Started run #\d+ of ui-hello/)
        .waitFor();
      await row.getByRole('button', { name: 'History of ui-hello' }).click();
      const run = page.locator('[data-testid^="run-"]').filter({ hasText: 'success' });
      await run.waitFor({ timeout: 30_000 });
      await run.getByRole('button').click();
      await page.getByTestId('run-output').getByText('hello-from-the-ui').waitFor();
    });
  },
);

test(
  'the code prompt: a wrong code keeps it open with the reason and changes nothing; a spent code asks again',
  { timeout: 240_000 },
  async () => {
    const wendy: HarnessUser = { login: 'wendy', role: 'Editor' };
    const auth = await stack.enrol(wendy);
    const marker = '617.113';
    const sleeper = stack.spawnInside(['sleep', marker]);
    const signal = async (page: Page, name: string) => {
      const row = page.locator('[data-testid^="process-"]', { hasText: 'sleep' });
      await row.getByRole('button', { name: /signal/i }).click();
      // Grafana's radio buttons lay the (transparent) input over its label: the input takes the click.
      await page.getByTestId('signal-dialog').locator(`input[type="radio"][title="${name}"]`).click();
      await page.getByRole('button', { name: `Send ${name}` }).click();
    };
    await onPage('otp-refused', wendy, async (page) => {
      await page.goto(`${stack.harness.url}${APP}/processes?host=local&search=${marker}`);
      await signal(page, 'TERM');
      const prompt = page.getByTestId('otp-prompt');
      await prompt.getByText(/Send TERM to sleep/).waitFor();
      await answerPrompt(page, auth.wrong());
      // The prompt stays, saying why, with an empty field for the next code.
      const hint = page.getByTestId('otp-hint');
      await hint.getByText('That code was not accepted').waitFor();
      assert.match(await hint.innerText(), /wrong or expired/);
      assert.equal(await prompt.locator('#hyperion-otp-code').inputValue(), '');
      await prompt.getByRole('button', { name: 'Cancel' }).click();
      await prompt.waitFor({ state: 'detached' });
      assert.equal(await page.getByTestId('action-error').count(), 0, 'a cancel is not an error');
    });
    assert.equal(await exited(sleeper, 2000), false, 'the process is still running');
    const [record] = await audit('process.signal', 'wendy');
    assert.equal(record?.result, 'refused');
    assert.match(record?.error ?? '', /wrong or expired/);

    // A code spent on one action, entered again for the next: asked again, the next code works.
    await onPage('otp-spent', wendy, async (page) => {
      await page.goto(`${stack.harness.url}${APP}/processes?host=local&search=${marker}`);
      const code = await auth.next();
      await signal(page, 'CONT');
      await answerPrompt(page, code);
      await page.getByTestId('action-success').waitFor();
      await signal(page, 'CONT');
      await answerPrompt(page, code);
      await page.getByTestId('otp-hint').getByText('Code already used').waitFor();
      await answerPrompt(page, await auth.next());
      await page.getByTestId('otp-prompt').waitFor({ state: 'detached' });
      await page.getByTestId('action-success').waitFor();
    });
    const sent = (await audit('process.signal', 'wendy')).filter((r) => r.result === 'ok');
    assert.equal(sent.length, 2, 'both CONT signals were sent, each with its own code');
    assert.equal(await exited(sleeper, 500), false);

    // A Viewer's route carries the viewer token: the exporter refuses the role, no code is asked.
    await onPage('viewer-refused', { login: 'vic', role: 'Viewer' }, async (page) => {
      await page.goto(`${stack.harness.url}${APP}/processes?host=local&search=${marker}`);
      await page
        .locator('[data-testid^="process-"]', { hasText: 'sleep' })
        .getByRole('button', { name: /^Details of sleep/ })
        .waitFor();
      // A viewer is offered no signal at all: the exporter would refuse the role.
      assert.equal(await page.getByRole('button', { name: /^Signal / }).count(), 0);
      assert.equal(await page.getByTestId('otp-prompt').count(), 0);
    });
    assert.equal(await exited(sleeper, 1000), false);
  },
);

test(
  'lockout: five wrong codes lock the person out with a clear message; an admin resets their second factor in the app',
  { timeout: 240_000 },
  async () => {
    const lara: HarnessUser = { login: 'lara', role: 'Editor' };
    const auth = await stack.enrol(lara);
    const marker = '617.114';
    const sleeper = stack.spawnInside(['sleep', marker]);
    await onPage('lockout', lara, async (page) => {
      await page.goto(`${stack.harness.url}${APP}/processes?host=local&search=${marker}`);
      const send = async () => {
        const row = page.locator('[data-testid^="process-"]', { hasText: 'sleep' });
        await row.getByRole('button', { name: /signal/i }).click();
        await page.getByRole('button', { name: 'Send TERM' }).click();
      };
      await send();
      // Three codes per action at most: the third wrong one ends it with the reason.
      for (let i = 0; i < 3; i += 1) {
        await answerPrompt(page, auth.wrong());
        if (i < 2) await page.getByTestId('otp-hint').waitFor();
      }
      const error = page.getByTestId('action-error');
      await error.getByText(/wrong or expired/).waitFor();
      await error
        .getByRole('button', { name: /Close|Remove/ })
        .click()
        .catch(() => undefined);
      await send();
      await answerPrompt(page, auth.wrong());
      await page.getByTestId('otp-hint').waitFor();
      // The fifth wrong code is answered with the lockout itself, and no further prompt.
      await answerPrompt(page, auth.wrong());
      await page
        .getByTestId('action-error')
        .getByText(/Too many wrong codes: locked out/)
        .waitFor();
      assert.equal(await page.getByTestId('otp-prompt').count(), 0);
    });
    assert.equal(await exited(sleeper, 1000), false, 'locked out: nothing was sent');
    const admin = { login: 'root-admin', role: 'Admin' } as const;
    const actors = async () =>
      (
        await stack.api<{ items: Array<{ key: string; name: string; lockedUntil: string | null }> }>(
          admin,
          'GET',
          '/auth/actors',
        )
      ).body.items;
    const locked = (await actors()).find((a) => a.name === 'lara');
    assert.ok(locked?.lockedUntil, 'the exporter holds the lockout');

    const adminAuth = await stack.enrol(admin);
    await onPage('otp-reset', admin, async (page) => {
      await page.goto(`${stack.harness.url}${APP}/second-factor`);
      const row = page.getByTestId(`actor-${locked.key}`);
      await row.getByText(/locked until/).waitFor();
      await row.getByRole('button', { name: 'Reset the second factor of lara' }).click();
      await page.getByTestId('data-testid Confirm Modal Danger Button').click();
      await answerPrompt(page, await adminAuth.next());
      await page
        .getByTestId('action-success')
        .getByText(/lara has no second factor any more/)
        .waitFor();
      // Lara enrols again with a new code, issued here.
      await row.waitFor({ state: 'detached' });
    });
    assert.equal(
      (await actors()).some((a) => a.key === locked.key),
      false,
      'second factor and lockout gone',
    );
    const [reset] = await audit('otp.reset', 'root-admin');
    assert.equal(reset?.result, 'ok');
    assert.equal(reset?.target, locked.key);
    sleeper.kill('SIGKILL');
  },
);

test('overview: each host with what a real Prometheus knows of it', { timeout: 180_000 }, async () => {
  // The recording rule the CPU column reads needs two scrapes first.
  await stack.prometheus.waitFor('hyperion:cpu_busy:ratio_rate5m', (r) => r.length > 0, 60_000);
  await onPage('overview', { login: 'olivia', role: 'Viewer' }, async (page) => {
    await page.goto(`${stack.harness.url}${APP}/overview`);
    const row = page.getByTestId('overview-local');
    await row.getByText('up', { exact: true }).waitFor();
    assert.match(await row.innerText(), /\d+(\.\d+)?%/, 'CPU and memory from the recording rules');
    // The host's name (and the machine's hostname beside it) links to the Hosts page.
    await row
      .getByRole('link', { name: /^local/ })
      .first()
      .click();
    await page.getByTestId('host-local').waitFor();
    assert.match(page.url(), /\/a\/hyperion-app\/hosts\?host=local$/);
  });
});

test(
  'the shipped dist/module.js, loaded by an AMD loader with Grafana’s shared modules, renders the app',
  { timeout: 180_000 },
  async () => {
    await onPage(
      'module-js',
      { login: 'amelia', role: 'Editor' },
      async (page) => {
        const scripts: string[] = [];
        page.on('response', (r) => {
          if (r.url().endsWith('.js')) scripts.push(new URL(r.url()).pathname);
        });
        await page.goto(`${stack.harness.url}${APP}/processes?host=local`);
        await page.getByTestId('process-count').waitFor();
        await page.getByRole('link', { name: 'Overview' }).click();
        await page.getByTestId('overview-local').waitFor();
        // module.js came from the built plugin, the harness' own app bundle never loaded.
        assert.ok(scripts.includes('/public/plugins/hyperion-app/module.js'), scripts.join(', '));
        assert.ok(!scripts.includes('/harness-assets/harness.js'), scripts.join(', '));
        const deps = await page.evaluate(
          () => (window as unknown as { __HYPERION_AMD_DEPS__: string[] }).__HYPERION_AMD_DEPS__,
        );
        for (const shared of [
          'react',
          'react/jsx-runtime',
          '@grafana/data',
          '@grafana/ui',
          '@grafana/runtime',
        ])
          assert.ok(
            deps.includes(shared),
            `module.js takes ${shared} from Grafana (deps: ${deps.join(', ')})`,
          );
        const served = await (
          await fetch(`${stack.harness.url}/public/plugins/hyperion-app/module.js`)
        ).text();
        assert.equal(served, readFileSync(path.join(stack.distDir, 'module.js'), 'utf8'));
      },
      { loader: 'amd' },
    );
  },
);

/**
 * What the theme test runs in the page, as source text: the test file is compiled with helpers
 * (esbuild's __name) that do not exist in the page, so these are not functions of this file.
 */
const NORMALISE = `function norm(c) {
  const d = document.createElement('div');
  d.style.color = c;
  document.body.appendChild(d);
  const out = getComputedStyle(d).color;
  d.remove();
  return out;
}`;
const COLOURS_IN_PAGE = `function (expected) {
  ${NORMALISE}
  const table = document.querySelector('[role="table"][aria-label="Processes"]');
  const bg = function (el) { return el ? getComputedStyle(el).backgroundColor : 'missing'; };
  const main = document.querySelector('main');
  return {
    actual: {
      canvas: bg(main ? main.parentElement : null),
      table: bg(table),
      header: bg(table ? table.querySelector('[role="row"]') : null),
      text: getComputedStyle(document.querySelector('[role="cell"]')).color,
    },
    expected: Object.fromEntries(Object.entries(expected).map(function (e) { return [e[0], norm(e[1])]; })),
  };
}`;
const BUTTON_IN_PAGE = `function (expected) {
  ${NORMALISE}
  const b = Array.from(document.querySelectorAll('button')).find(function (x) { return x.textContent.trim() === 'Block…'; });
  return { actual: getComputedStyle(b).backgroundColor, expected: norm(expected) };
}`;

interface ThemeColours {
  colors: {
    background: { canvas: string; primary: string; secondary: string };
    text: { primary: string };
    error: { main: string };
  };
}

test(
  'themes: page, table and buttons have the Grafana theme’s colours, dark and light',
  { timeout: 120_000 },
  async () => {
    for (const mode of ['dark', 'light'] as const) {
      await onPage(
        `theme-${mode}`,
        { login: 'theo', role: 'Admin' },
        async (page) => {
          await page.goto(`${stack.harness.url}${APP}/jobs?host=local`);
          await page.getByTestId('page-jobs').waitFor();
          await page
            .getByRole('table', { name: 'Jobs' })
            .or(page.getByTestId('state-empty'))
            .first()
            .waitFor();
          await page.goto(`${stack.harness.url}${APP}/processes?host=local`);
          await page.getByTestId('process-count').waitFor();
          // @grafana/data's createTheme() for this mode, called in the page (it needs a window).
          const theme = await page
            .evaluate(
              (m) =>
                (
                  window as unknown as { __grafanaCreateTheme: (o: object) => ThemeColours }
                ).__grafanaCreateTheme({ colors: { mode: m } }).colors,
              mode,
            )
            .then((colors) => ({ colors }));
          const colours = (await page.evaluate(
            `(${COLOURS_IN_PAGE})(${JSON.stringify({
              canvas: theme.colors.background.canvas,
              table: theme.colors.background.primary,
              header: theme.colors.background.secondary,
              text: theme.colors.text.primary,
            })})`,
          )) as { actual: Record<string, string>; expected: Record<string, string> };
          assert.deepEqual(colours.actual, colours.expected, `${mode} page and table`);
          // Grafana's typefaces, served by the harness as Grafana serves them, are in use.
          const fonts = await page.evaluate(async () => {
            await document.fonts.ready;
            return {
              inter: document.fonts.check('14px Inter'),
              loaded: [...document.fonts].filter((f) => f.status === 'loaded').map((f) => f.family),
              body: getComputedStyle(document.body).fontFamily,
            };
          });
          assert.ok(
            fonts.loaded.some((f) => f.includes('Inter')),
            `Inter loaded: ${fonts.loaded.join(', ')}`,
          );
          assert.match(fonts.body, /^"?Inter/);
          // Buttons: the primary "Block…" button and a secondary one, as Grafana paints them.
          await page.goto(`${stack.harness.url}${APP}/network?host=local`);
          const destructive = page.getByRole('button', { name: 'Block…' });
          await destructive.waitFor();
          const button = (await page.evaluate(
            `(${BUTTON_IN_PAGE})(${JSON.stringify(theme.colors.error.main)})`,
          )) as { actual: string; expected: string };
          assert.equal(button.actual, button.expected, `${mode} destructive button`);
        },
        { theme: mode },
      );
    }
  },
);

test(
  'search boxes find text with . - / [ and non-ASCII letters, on every page that has one',
  { timeout: 180_000 },
  async () => {
    const tag = `tag.x-y/z[é${process.pid}`;
    stack.spawnInside(['sh', '-c', 'sleep 600; :', tag]);
    // A login with every awkward character, non-ASCII too: Grafana sends it as UTF-8.
    const zoe: HarnessUser = { login: 'zoë.o-b/[x]', role: 'Editor' };
    // A refused action is audited too: zoe's record, without any code.
    const refused = await stack.api(zoe, 'POST', '/hosts/local/processes/999999/signal', { signal: 'TERM' });
    // Refused before any code is asked: there is no such process.
    assert.equal(refused.status, 404);
    await onPage('search', { login: 'sara', role: 'Admin' }, async (page) => {
      await page.goto(`${stack.harness.url}${APP}/processes?host=local`);
      await page.getByTestId('process-count').waitFor();
      await page.getByTestId('process-search').fill(tag);
      const row = page.locator('[data-testid^="process-"][role="row"]', { hasText: 'sh' });
      await row.first().waitFor();
      assert.equal(await row.count(), 1, 'exactly the tagged shell');
      assert.match(await row.innerText(), /sh/);

      await page.goto(`${stack.harness.url}${APP}/services?host=local`);
      await page.getByPlaceholder('Search name or description').fill('ui.v2-beta [ünï');
      await page.getByTestId(`service-${TEST_UNIT}`).waitFor();
      assert.equal(await page.locator('[data-testid^="service-"]').count(), 1);

      await page.goto(`${stack.harness.url}${APP}/audit`);
      await page.getByTestId('audit-actor').fill(zoe.login);
      // The filters live in the address (shareable links): one box at a time, as a person types.
      await page.waitForURL((url) => url.searchParams.get('actor') === zoe.login);
      await page.getByTestId('audit-action').fill('process.signal');
      const record = page.getByTestId('audit-process.signal');
      // Other users signalled processes too: only zoe's record is left once the filters apply.
      await page.waitForFunction(
        () => document.querySelectorAll('[data-testid="audit-process.signal"]').length === 1,
      );
      assert.match(await record.first().innerText(), /zoë\.o-b\/\[x\]/);
      // The result filter narrows to refused records, which zoe's is.
      await page.getByRole('radio', { name: 'OK' }).click();
      await page.getByTestId('state-empty').waitFor();
      await page.getByRole('radio', { name: 'Refused' }).click();
      await record.first().waitFor();
    });
  },
);

test(
  'processes: tree on and off, the detail view with its history, and renice read back from /proc',
  { timeout: 180_000 },
  async () => {
    const rita: HarnessUser = { login: 'rita', role: 'Editor' };
    const auth = await stack.enrol(rita);
    const marker = `619.${process.pid % 1000}`;
    stack.spawnInside(['sleep', marker]);
    await onPage('processes-tree-renice', rita, async (page) => {
      await page.goto(`${stack.harness.url}${APP}/processes?host=local&search=${marker}`);
      const row = page.locator('[data-testid^="process-"][role="row"]', { hasText: 'sleep' });
      await row.waitFor();
      const pid = Number((await row.getAttribute('data-testid'))!.slice('process-'.length));
      await page.getByText('Tree', { exact: true }).click();
      await page.getByTestId('process-count').waitFor();
      await row.waitFor();
      assert.match(page.url(), /tree=true/);
      await page.getByText('Tree', { exact: true }).click();
      await row.waitFor();
      assert.doesNotMatch(page.url(), /tree=true/);

      await row.getByRole('button', { name: `Renice sleep (${pid})` }).click();
      await page.locator('#hyperion-nice').fill('7');
      await page.getByRole('button', { name: 'Set nice 7' }).click();
      await answerPrompt(page, await auth.next());
      await page.getByTestId('action-success').getByText(`sleep (${pid}) now runs at nice 7`).waitFor();
      const stat = await stack.systemd.run(['cat', `/proc/${pid}/stat`]);
      const nice = Number(stat.stdout.slice(stat.stdout.lastIndexOf(')') + 2).split(' ')[16]);
      assert.equal(nice, 7, 'the kernel has the new nice value');
      // The success line goes away by itself.
      await page.getByTestId('action-success').waitFor({ state: 'detached', timeout: 15_000 });

      await row.getByRole('button', { name: `Details of sleep (${pid})` }).click();
      const detail = page.getByTestId('process-detail');
      await detail.waitFor();
      assert.match(await detail.innerText(), new RegExp(`sleep ${marker.replace('.', '\\.')}`));
      assert.match(await detail.innerText(), /Executable\s+\/usr\/bin\/sleep|Executable\s+\/bin\/sleep/);
      assert.ok(Number(await page.getByTestId('process-cpu-history').getAttribute('data-points')) >= 1);
    });
    const audit1 = await audit('process.renice', 'rita');
    assert.equal(audit1[0]?.result, 'ok');
  },
);

test(
  'network: block a peer from the connections list (nftables holds it), then unblock it',
  { timeout: 180_000 },
  async () => {
    const nina: HarnessUser = { login: 'nina', role: 'Editor' };
    const auth = await stack.enrol(nina);
    await stack.holdPeerConnections(2);
    await onPage('network-peer-block', nina, async (page) => {
      await page.goto(`${stack.harness.url}${APP}/network?host=local`);
      const peer = page.getByTestId(`peer-${PEER_ADDRESS}`);
      await peer.waitFor();
      // Loopback (the bridge to the exporter) is listed without a Block button, and says why.
      const loopback = page.getByTestId('peer-127.0.0.1');
      await loopback.waitFor();
      assert.equal(await loopback.getByRole('button', { name: /^Block/ }).count(), 0);
      await peer.getByRole('button', { name: `Block ${PEER_ADDRESS}` }).click();
      await page
        .getByRole('button', { name: `Block ${PEER_ADDRESS}` })
        .last()
        .click();
      await answerPrompt(page, await auth.next());
      const block = page.getByTestId(`block-${PEER_ADDRESS}`);
      await block.getByText('enforced').waitFor({ timeout: 20_000 });
      assert.match(await stack.nft(), new RegExp(PEER_ADDRESS.replace(/\./g, '\\.')));
      await block.getByRole('button', { name: `Unblock ${PEER_ADDRESS}` }).click();
      await page.getByTestId('data-testid Confirm Modal Danger Button').click();
      await answerPrompt(page, await auth.next());
      await page.getByTestId('action-success').getByText(`Unblocked ${PEER_ADDRESS}`).waitFor();
    });
    assert.doesNotMatch(await stack.nft(), new RegExp(PEER_ADDRESS.replace(/\./g, '\\.')));
  },
);

test(
  'services: restart (a new main process), disable and enable (read back from systemd), the logs drawer',
  { timeout: 240_000 },
  async () => {
    const seth: HarnessUser = { login: 'seth', role: 'Editor' };
    const auth = await stack.enrol(seth);
    const show = async (prop: string) =>
      (await stack.systemd.run(['systemctl', 'show', '-p', prop, '--value', TEST_UNIT])).stdout.trim();
    const enabled = async () =>
      (await stack.systemd.run(['systemctl', 'is-enabled', TEST_UNIT])).stdout.trim();
    await stack.systemd.run(['systemctl', 'enable', TEST_UNIT]);
    const pidBefore = await show('MainPID');
    await onPage('services-restart-enable', seth, async (page) => {
      await page.goto(`${stack.harness.url}${APP}/services?host=local&search=hyperion-ui-test`);
      const row = page.getByTestId(`service-${TEST_UNIT}`);
      await row.getByText('active (running)').waitFor();
      await row.getByRole('button', { name: `Restart ${TEST_UNIT}`, exact: true }).click();
      await page.getByTestId('data-testid Confirm Modal Danger Button').click();
      await answerPrompt(page, await auth.next());
      await page.getByTestId('action-success').getByText(`${TEST_UNIT} is now active (running)`).waitFor();
      const pidAfter = await show('MainPID');
      assert.notEqual(pidAfter, pidBefore, 'a new main process');
      assert.notEqual(pidAfter, '0');

      await row.getByRole('button', { name: `Disable ${TEST_UNIT}`, exact: true }).click();
      await page.getByTestId('data-testid Confirm Modal Danger Button').click();
      await answerPrompt(page, await auth.next());
      await page
        .getByTestId('action-success')
        .getByText(/is now active \(running\), disabled/)
        .waitFor();
      assert.equal(await enabled(), 'disabled');

      await row.getByRole('button', { name: `Enable ${TEST_UNIT}`, exact: true }).click();
      await page.getByTestId('data-testid Confirm Modal Danger Button').click();
      await answerPrompt(page, await auth.next());
      await page
        .getByTestId('action-success')
        .getByText(/is now active \(running\), enabled/)
        .waitFor();
      assert.equal(await enabled(), 'enabled');

      await row.getByRole('button', { name: `Details and logs of ${TEST_UNIT}` }).click();
      const logs = page.getByTestId('service-logs');
      await logs.waitFor();
      assert.match(await logs.innerText(), new RegExp(TEST_UNIT_DESCRIPTION.replace(/[.[\]/]/g, '\\$&')));
      assert.match(await logs.innerText(), /Started|Starting|Stopp/, 'journal lines of the restart');
    });
  },
);

test(
  'files: rename, delete, bulk download, bulk delete with one confirmation',
  { timeout: 240_000 },
  async () => {
    const frank: HarnessUser = { login: 'frank', role: 'Admin' };
    const auth = await stack.enrol(frank);
    for (const name of ['old.txt', 'gone.txt', 'bulk-1.txt', 'bulk-2.txt']) stack.placeInShare(name, name);
    await onPage('files-rename-delete', frank, async (page) => {
      await page.goto(`${stack.harness.url}${APP}/files?host=local&root=share`);
      await page.getByTestId('file-old.txt').getByRole('button', { name: 'Rename old.txt' }).click();
      const input = page.getByLabel('New name for old.txt');
      await input.fill('new.txt');
      await input.press('Enter');
      await answerPrompt(page, await auth.next());
      await page.getByTestId('file-new.txt').waitFor();
      assert.equal(readFileSync(path.join(stack.shareDir, 'new.txt'), 'utf8'), 'old.txt');

      await page.getByTestId('file-gone.txt').getByRole('button', { name: 'Delete gone.txt' }).click();
      await page.getByTestId('data-testid Confirm Modal Danger Button').click();
      await answerPrompt(page, await auth.next());
      await page.getByTestId('file-gone.txt').waitFor({ state: 'detached' });
      assert.equal(existsSync(path.join(stack.shareDir, 'gone.txt')), false);
    });
    const fiona: HarnessUser = { login: 'fiona', role: 'Admin' };
    const auth2 = await stack.enrol(fiona);
    await onPage('files-bulk-delete', fiona, async (page) => {
      await page.goto(`${stack.harness.url}${APP}/files?host=local&root=share`);
      await page.getByRole('checkbox', { name: 'Select bulk-1.txt' }).check({ force: true });
      await page.getByRole('checkbox', { name: 'Select bulk-2.txt' }).check({ force: true });
      const selection = page.getByTestId('file-selection');
      await selection.getByText('2 items selected').waitFor();
      // Download: each checked file through the browser's own download, as the exporter names it.
      const downloads: Download[] = [];
      page.on('download', (d) => downloads.push(d));
      await selection.getByRole('button', { name: /^Download/ }).click();
      for (let i = 0; i < 50 && downloads.length < 2; i += 1) await delay(200);
      const got = await Promise.all(
        downloads.map(async (d) => [d.suggestedFilename(), readFileSync((await d.path())!, 'utf8')]),
      );
      assert.deepEqual(got.sort(), [
        ['bulk-1.txt', 'bulk-1.txt'],
        ['bulk-2.txt', 'bulk-2.txt'],
      ]);
      await selection.getByRole('button', { name: 'Delete…' }).click();
      const list = await page.getByTestId('delete-list').innerText();
      assert.match(list, /bulk-1\.txt/);
      assert.match(list, /bulk-2\.txt/);
      await page.getByTestId('data-testid Confirm Modal Danger Button').click();
      await answerPrompt(page, await auth2.next());
      await answerPrompt(page, await auth2.next());
      await page.getByTestId('bulk-outcome').getByText('Deleted 2 items').waitFor();
      assert.equal(
        await page.getByTestId('data-testid Confirm Modal Danger Button').count(),
        0,
        'one confirmation',
      );
    });
    assert.equal(existsSync(path.join(stack.shareDir, 'bulk-1.txt')), false);
    assert.equal(existsSync(path.join(stack.shareDir, 'bulk-2.txt')), false);
  },
);

test(
  'files: edit in Grafana’s code editor, Escape asks before discarding, a conflicting change is caught',
  { timeout: 240_000 },
  async () => {
    const ed: HarnessUser = { login: 'ed', role: 'Admin' };
    const auth = await stack.enrol(ed);
    const file = stack.placeInShare('conf.ini', 'mode=one\n');
    await onPage('files-edit-conflict', ed, async (page) => {
      await page.goto(`${stack.harness.url}${APP}/files?host=local&root=share`);
      await page.getByTestId('file-conf.ini').getByRole('button', { name: 'conf.ini', exact: true }).click();
      const editor = page.locator('.monaco-editor textarea');
      await editor.waitFor();
      await page.locator('.monaco-editor .view-lines').click();
      await page.keyboard.press('Control+End');
      await page.keyboard.type('# mine');
      await page.getByTestId('editor-dirty').waitFor();
      await page.keyboard.press('Escape');
      await page.getByText('Discard your changes?').waitFor();
      await page.getByRole('button', { name: 'Cancel' }).click();
      assert.equal(await page.getByTestId('editor-dirty').count(), 1, 'the edits are still there');
      // Someone else writes the file meanwhile.
      writeFileSync(file, 'mode=theirs\n');
      await page.getByRole('button', { name: 'Save' }).click();
      // The exporter sees the conflict before it would ask for a code: none is asked for.
      await page.getByTestId('editor-conflict').waitFor();
      assert.equal(await page.getByTestId('otp-prompt').count(), 0, 'no code asked for a refused save');
      assert.equal(readFileSync(file, 'utf8'), 'mode=theirs\n', 'theirs was not overwritten');
      await page.getByRole('button', { name: 'Overwrite with mine' }).click();
      await answerPrompt(page, await auth.next());
      await page.getByTestId('editor-saved').waitFor();
    });
    assert.equal(readFileSync(file, 'utf8'), 'mode=one\n# mine');
  },
);

test(
  'overview: sparklines from a real Prometheus; still useful from Prometheus alone when the exporter is unreachable',
  { timeout: 180_000 },
  async () => {
    await stack.prometheus.waitFor(
      'count_over_time(hyperion:cpu_busy:ratio_rate5m[10m])',
      (r) => (r[0]?.value ?? 0) >= 3,
      90_000,
    );
    const olive: HarnessUser = { login: 'olive', role: 'Admin' };
    await onPage('overview-sparklines', olive, async (page) => {
      await page.goto(`${stack.harness.url}${APP}/overview`);
      const row = page.getByTestId('overview-local');
      const cpu = row.getByTestId('spark-cpu-local');
      await cpu.waitFor();
      assert.ok(Number(await cpu.getAttribute('data-points')) >= 2, 'a CPU line from Prometheus');
      assert.ok(Number(await row.getByTestId('spark-memory-local').getAttribute('data-points')) >= 2);
      await page.getByTestId('fleet-hosts').getByText('1 up').waitFor();
      const dashboard = row.getByRole('link', { name: /Host overview dashboard of local/ });
      assert.match(
        (await dashboard.getAttribute('href')) ?? '',
        /\/d\/hyperion-host-overview\?var-instance=127\.0\.0\.1%3A\d+/,
      );
      await row.getByRole('button', { name: /Show interfaces and disks of local/ }).click();
      await page.locator('[data-testid^="interface-spark-"]').first().waitFor();
    });
    // The exporter "moves": the app's settings now point to a port where nothing listens.
    const saved = { ...stack.harness.settings.jsonData };
    stack.harness.settings.jsonData = { ...saved, exporterUrl: 'http://127.0.0.1:9' };
    try {
      await onPage(
        'overview-exporter-down',
        olive,
        async (page) => {
          await page.goto(`${stack.harness.url}${APP}/overview`);
          await page.getByTestId('exporter-unreachable').waitFor();
          const instance = new URL(stack.apiUrl).host;
          const row = page.getByTestId(`overview-${instance}`);
          await row.getByText('up', { exact: true }).waitFor();
          assert.ok(Number(await row.getByTestId(`spark-cpu-${instance}`).getAttribute('data-points')) >= 2);
        },
        { expectServerErrors: /api\/plugin-proxy\/hyperion-app\/.*\/hosts$/ },
      );
    } finally {
      stack.harness.settings.jsonData = saved;
    }
  },
);

test(
  'hosts: add an SSH host, approve the key it presents, and kill a process ON that host',
  { timeout: 300_000 },
  async () => {
    const ssh = await stack.sshHost();
    const hana: HarnessUser = { login: 'hana', role: 'Admin' };
    const auth = await stack.enrol(hana);
    const marker = `621.${process.pid % 1000}`;
    const remote = ssh.spawnInside(['sleep', marker]);
    await onPage('ssh-host', hana, async (page) => {
      await page.goto(`${stack.harness.url}${APP}/hosts`);
      await page.getByRole('button', { name: 'Add SSH host' }).click();
      const form = page.getByTestId('add-host');
      await form.locator('#host-name').fill('web-1');
      await form.locator('#host-address').fill(ssh.address);
      await form.locator('#host-port').fill(String(ssh.port));
      await form.locator('#host-user').fill('root');
      await form.locator('#host-key').fill(ssh.keyFile);
      await form.getByRole('button', { name: 'Add and fetch its key' }).click();
      await answerPrompt(page, await auth.next());
      // The fingerprint the page shows is the one the server's host key really has.
      await page.getByTestId('action-success').getByText(ssh.fingerprint).waitFor();
      const row = page.getByTestId('host-web-1');
      await row.getByText('awaiting key approval').waitFor();
      await row.getByRole('button', { name: 'Approve the key of web-1' }).click();
      assert.match(
        await page.getByTestId('confirm-body').innerText(),
        new RegExp(ssh.fingerprint.replace(/[+/]/g, '\\$&')),
      );
      await page.getByRole('button', { name: 'Approve', exact: true }).click();
      await answerPrompt(page, await auth.next());
      await page
        .getByTestId('action-success')
        .getByText(/host key is pinned/)
        .waitFor();

      await page.goto(`${stack.harness.url}${APP}/processes?host=web-1&search=${marker}`);
      const proc = page.locator('[data-testid^="process-"][role="row"]', { hasText: 'sleep' });
      await proc.waitFor({ timeout: 60_000 });
      await proc.getByRole('button', { name: /^Signal sleep/ }).click();
      await page.getByTestId('signal-dialog').locator('input[type="radio"][title="KILL"]').click();
      await page.getByRole('button', { name: 'Send KILL' }).click();
      await answerPrompt(page, await auth.next());
      await page
        .getByTestId('action-success')
        .getByText(/Sent KILL to sleep/)
        .waitFor();
    });
    assert.equal(await exited(remote, 10_000), true, 'the sleep on the SSH host is gone');
    const [record] = await audit('process.signal', 'hana');
    assert.equal(record?.result, 'ok');
  },
);

test(
  'across hosts: restart one service on two hosts with ONE confirmation, the outcome per host',
  { timeout: 300_000 },
  async () => {
    const ssh = await stack.sshHost();
    const mainPid = async (run: (argv: string[]) => Promise<{ stdout: string }>) =>
      (await run(['systemctl', 'show', '-p', 'MainPID', '--value', TEST_UNIT])).stdout.trim();
    const localRun = (argv: string[]) => stack.systemd.run(argv);
    const remoteRun = (argv: string[]) => ssh.systemd.run(argv);
    const before = [await mainPid(localRun), await mainPid(remoteRun)];
    const fred: HarnessUser = { login: 'fred', role: 'Editor' };
    const auth = await stack.enrol(fred);
    let confirmations = 0;
    await onPage('fleet-restart', fred, async (page) => {
      await page.goto(`${stack.harness.url}${APP}/fleet?kind=services&search=hyperion-ui-test`);
      await page.getByTestId(`fleet-local/${TEST_UNIT}`).waitFor({ timeout: 60_000 });
      await page.getByTestId(`fleet-web-1/${TEST_UNIT}`).waitFor();
      assert.match(await page.getByTestId('fleet-count').innerText(), /^2 services on 2 hosts/);
      await page.getByRole('checkbox', { name: `Select local · ${TEST_UNIT}` }).check({ force: true });
      await page.getByRole('checkbox', { name: `Select web-1 · ${TEST_UNIT}` }).check({ force: true });
      await page.getByTestId('fleet-selection').getByText('2 targets on 2 hosts').waitFor();
      await page.getByRole('button', { name: 'Restart…' }).click();
      const targets = await page.getByTestId('fleet-targets').innerText();
      assert.match(targets, new RegExp(`local · ${TEST_UNIT.replace(/\./g, '\\.')}`));
      assert.match(targets, new RegExp(`web-1 · ${TEST_UNIT.replace(/\./g, '\\.')}`));
      await page.getByTestId('data-testid Confirm Modal Danger Button').click();
      confirmations += 1;
      // Each target is its own request; the exporter asks for a code whenever it needs one.
      for (let i = 0; i < 2; i += 1) {
        const prompt = page.getByTestId('otp-prompt');
        const done = page.getByTestId('fleet-outcomes').getByText('2 of 2 targets succeeded');
        await prompt.or(done).first().waitFor({ timeout: 60_000 });
        if (await done.isVisible()) break;
        await answerPrompt(page, await auth.next());
      }
      await page
        .getByTestId('fleet-outcomes')
        .getByText('2 of 2 targets succeeded')
        .waitFor({ timeout: 60_000 });
      assert.equal(await page.getByTestId('confirm-body').count(), 0, 'no second confirmation');
      const outcomes = await page.getByTestId('fleet-outcomes').innerText();
      assert.match(outcomes, /local · hyperion-ui-test\.service: now active \(running\)/);
      assert.match(outcomes, /web-1 · hyperion-ui-test\.service: now active \(running\)/);
    });
    assert.equal(confirmations, 1);
    const after = [await mainPid(localRun), await mainPid(remoteRun)];
    assert.notEqual(after[0], before[0], 'restarted on the exporter’s host');
    assert.notEqual(after[1], before[1], 'restarted on the SSH host');
    // Each target's first try went without a code (refused, and audited as such), then with one.
    const records = await audit('service.restart', 'fred');
    assert.deepEqual(
      records
        .filter((r) => r.result === 'ok')
        .map((r) => r.host)
        .sort(),
      ['local', 'web-1'],
    );
  },
);

const PAGES: { name: string; path: string; ready: string }[] = [
  { name: 'overview', path: `${APP}/overview`, ready: 'overview-local' },
  { name: 'processes', path: `${APP}/processes`, ready: 'process-count' },
  { name: 'services', path: `${APP}/services`, ready: `service-${TEST_UNIT}` },
  { name: 'files', path: `${APP}/files?root=share`, ready: 'page-files' },
  { name: 'across-hosts', path: `${APP}/fleet?kind=services`, ready: 'fleet-count' },
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
];

test(
  'screenshots of every page, dark and light (390 px: the row-action test below)',
  { timeout: 300_000 },
  async () => {
    const shot: HarnessUser = { login: 'screenshots', role: 'Admin' };
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
        }
        assert.deepEqual(stack.problemsOf(page), { errors: [], serverErrors: [] }, `${variant.suffix} pages`);
      } finally {
        await page.context().close();
      }
    }
  },
);

test(
  'at 390 px every row action of every page is reachable, visible or in its row menu, and 40 px tall',
  { timeout: 300_000 },
  async () => {
    const admin: HarnessUser = { login: 'phone', role: 'Admin' };
    stack.placeInShare('phone.txt', 'x');
    const pages: { name: string; path: string; ready: string }[] = [
      { name: 'overview', path: `${APP}/overview`, ready: 'overview-local' },
      { name: 'processes', path: `${APP}/processes?host=local`, ready: 'process-count' },
      { name: 'services', path: `${APP}/services?host=local`, ready: `service-${TEST_UNIT}` },
      { name: 'files', path: `${APP}/files?host=local&root=share`, ready: 'file-phone.txt' },
      { name: 'network', path: `${APP}/network?host=local`, ready: 'interface-lo' },
      { name: 'jobs', path: `${APP}/jobs?host=local`, ready: 'job-ui-hello' },
      { name: 'audit', path: `${APP}/audit`, ready: 'page-audit' },
      {
        name: 'fleet',
        path: `${APP}/fleet?kind=services&search=hyperion-ui-test`,
        ready: `fleet-local/${TEST_UNIT}`,
      },
      { name: 'hosts', path: `${APP}/hosts`, ready: 'host-local' },
      // Pages without a table: only that nothing is wider than the phone.
      { name: 'second-factor', path: `${APP}/second-factor`, ready: 'otp-enrolment' },
      { name: 'configuration', path: '/plugins/hyperion-app', ready: 'app-config' },
    ];
    const short: string[] = [];
    const unreachable: string[] = [];
    await onPage(
      'phone-actions',
      admin,
      async (page) => {
        for (const p of pages) {
          await page.goto(`${stack.harness.url}${p.path}`);
          await page.getByTestId(p.ready).first().waitFor();
          if (p.path.startsWith(APP) && p.name !== 'second-factor')
            await page.locator('[role="table"] [role="row"][aria-rowindex]').first().waitFor();
          for (const table of await page.locator('[role="table"]').all()) {
            assert.equal(await table.getAttribute('data-layout'), 'phone', `${p.name}: phone layout`);
            const rows = await table.locator('[role="row"][aria-rowindex]').all();
            for (const row of rows.slice(0, 3)) {
              for (const button of await row.locator('[data-row-action]').all()) {
                const box = await button.boundingBox();
                if (!box || box.height < 40)
                  short.push(`${p.name}: ${await button.getAttribute('aria-label')} ${box?.height ?? 0} px`);
              }
              const menu = row.locator('[data-row-action="menu"]');
              if ((await menu.count()) === 0) continue;
              await menu.click();
              const items = page.getByRole('menuitem');
              await items.first().waitFor();
              // The menu opens with a short scale animation: measure once it has settled.
              let settled = await items.first().boundingBox();
              for (let i = 0; i < 20; i += 1) {
                await delay(100);
                const now = await items.first().boundingBox();
                if (now && settled && now.height === settled.height && now.width === settled.width) break;
                settled = now;
              }
              for (const item of await items.all()) {
                const box = await item.boundingBox();
                const label = (await item.innerText()).trim();
                if (!box || box.height < 40) short.push(`${p.name} menu: ${label} ${box?.height ?? 0} px`);
                if (!box || box.x < 0 || box.x + box.width > 391)
                  unreachable.push(`${p.name} menu: ${label} off screen`);
              }
              await page.keyboard.press('Escape');
            }
          }
          const overflow = await page.evaluate(
            () => document.documentElement.scrollWidth - window.innerWidth,
          );
          if (overflow > 1) unreachable.push(`${p.name}: page ${overflow} px wider than the phone`);
        }
      },
      { width: 390, height: 844 },
    );
    assert.deepEqual(short, [], 'touch targets under 40 px');
    assert.deepEqual(unreachable, []);
  },
);

test(
  'a wide table shows the same row actions inline that a phone gets in the menu',
  { timeout: 120_000 },
  async () => {
    const labels = async (width: number) => {
      let found: string[] = [];
      await onPage(
        `row-actions-${width}`,
        { login: 'wide', role: 'Admin' },
        async (page) => {
          await page.goto(`${stack.harness.url}${APP}/services?host=local&search=hyperion-ui-test`);
          const row = page.getByTestId(`service-${TEST_UNIT}`);
          await row.waitFor();
          const menu = row.locator('[data-row-action="menu"]');
          if ((await menu.count()) > 0) {
            await menu.click();
            found = (await page.getByRole('menuitem').allInnerTexts()).map((t) => t.trim());
          } else {
            found = await row
              .locator('[data-row-action]')
              .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
          }
        },
        { width, height: 800 },
      );
      return found.map((l) => l.replace(` ${TEST_UNIT}`, '').replace(/ of$/, '')).sort();
    };
    const wide = await labels(1280);
    const phone = await labels(390);
    assert.ok(wide.length >= 3, wide.join(', '));
    assert.deepEqual(phone, wide);
  },
);
