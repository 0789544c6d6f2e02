/**
 * (f) Load held by the daemon: N scripted agents (bench/fixtures/scripted-agent.ts)
 * at once, each a `warden run` under the default policy in a git workspace of
 * its own, talking to a scripted model through Warden's proxy and running
 * real commands, for MINUTES. Meanwhile the API is asked for its session list
 * and the dashboard for its page, and the daemon's memory is read, so the
 * table shows what a user of the daemon meets under that load: events lost,
 * peak RSS, and API latency percentiles.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../src/config.js';
import { Store } from '../src/store/store.js';
import { ScriptedModel, type Step } from '../test/fixtures/scripted-model.js';
import { percentile } from './harness.js';

export interface LoadResult {
  agents: number;
  seconds: number;
  turns: number;
  failedTurns: number;
  events: number;
  lost: number;
  sessionsEnded: number;
  rssMb: { start: number; peak: number; end: number };
  apiSessionsMs: { n: number; p50: number; p99: number; max: number };
  dashboardMs: { n: number; p50: number; p99: number; max: number };
}

/* what a coding agent's Bash tool runs, round after round */
const COMMANDS = [
  'git status --short',
  'git log --oneline -3',
  'ls -la src',
  'cat src/app.js',
  'grep -rn "function" src | head -5',
  'node -e "console.log(require(\'./src/app.js\').add(2, 3))"',
  'python3 -c "print(sum(range(1000)))"',
  'echo "// touched $(date +%s%N)" >> src/app.js && git diff --stat',
  'npm --version',
  'git add -A && git commit -qm step && git log --oneline -1',
  'find . -name "*.js" -not -path "./.git/*" | wc -l',
  'wc -l src/*.js',
];

function workspace(root: string, i: number): string {
  const dir = join(root, `agent-${i}`);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'src', 'app.js'), 'function add(a, b) {\n  return a + b;\n}\nmodule.exports = { add };\n');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `agent-${i}`, version: '1.0.0' }));
  const git = (...args: string[]): void => void execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('-c', 'user.email=a@b', '-c', 'user.name=bench', 'add', '-A');
  git('-c', 'user.email=a@b', '-c', 'user.name=bench', 'commit', '-qm', 'start');
  return dir;
}

function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] ? Number(m[1]) / 1024 : 0;
}

async function timedGet(url: string, token: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const stats = (xs: number[]) => ({
  n: xs.length,
  p50: percentile(xs, 50),
  p99: percentile(xs, 99),
  max: xs.length ? Math.max(...xs) : 0,
});

export async function loadBench(cfg: Config, agents: number, seconds: number, paceMs = 1500): Promise<LoadResult> {
  mkdirSync('/run/warden-bench', { recursive: true, mode: 0o700 });
  const state = mkdtempSync('/run/warden-bench/load-');
  const spaces = mkdtempSync('/run/warden-bench/load-ws-');
  const env = { ...process.env, WARDEN_STATE_DIR: state, WARDEN_DNS_UPSTREAM: '127.0.0.1:9' };
  const script: Step[] = Array.from({ length: agents * Math.ceil((seconds * 1000) / paceMs + 10) }, (_, i) => ({
    tools: [{ name: 'Bash', input: { command: COMMANDS[i % COMMANDS.length] ?? 'true' } }],
  }));
  const model = new ScriptedModel(script);
  const modelUrl = await model.listen();
  const warden = join(cfg.root, 'bin', 'warden');
  const daemon = spawn(warden, ['daemon', '--listen', '127.0.0.1:0'], { env, stdio: 'ignore' });
  const runs: ChildProcess[] = [];
  try {
    const info = join(state, 'run', 'daemon.json');
    for (let i = 0; i < 400 && !existsSync(info); i++) await sleep(50);
    const { url } = JSON.parse(readFileSync(info, 'utf8')) as { url: string };
    const token = readFileSync(join(state, 'api.token'), 'utf8').trim();
    const pid = daemon.pid ?? 0;
    const rss = { start: rssMb(pid), peak: 0, end: 0 };
    const agent = join(cfg.root, 'dist', 'bench', 'fixtures', 'scripted-agent.js');
    const outputs: string[] = [];
    for (let i = 0; i < agents; i++) {
      const ws = workspace(spaces, i);
      const run = spawn(
        warden,
        ['run', '-q', '--name', `load-${i}`, '-w', ws, '--', process.execPath, agent, String(seconds), String(paceMs)],
        { env: { ...env, ANTHROPIC_BASE_URL: modelUrl }, cwd: ws, stdio: ['ignore', 'pipe', 'ignore'] },
      );
      let out = '';
      run.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      run.on('exit', () => outputs.push(out));
      runs.push(run);
    }
    const api: number[] = [];
    const page: number[] = [];
    const end = Date.now() + seconds * 1000;
    let tick = 0;
    while (Date.now() < end) {
      api.push(await timedGet(`${url}/api/sessions`, token));
      if (tick % 20 === 0) page.push(await timedGet(`${url}/`, token));
      if (tick % 4 === 0) rss.peak = Math.max(rss.peak, rssMb(pid));
      tick++;
      await sleep(250);
    }
    await Promise.all(runs.map((r) => (r.exitCode !== null ? undefined : new Promise((res) => r.once('exit', res)))));
    rss.end = rssMb(pid);
    rss.peak = Math.max(rss.peak, rss.end);
    let turns = 0;
    let failedTurns = 0;
    for (const o of outputs) {
      const line = o.trim().split('\n').pop() ?? '';
      try {
        const r = JSON.parse(line) as { turns: number; failures: number };
        turns += r.turns;
        failedTurns += r.failures;
      } catch {
        failedTurns++;
      }
    }
    const metrics = await (await fetch(`${url}/api/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
    const lost = Number(/^warden_sensor_events_lost_total (\S+)$/m.exec(metrics)?.[1] ?? NaN);
    const store = Store.open(state);
    const sessions = store.sessions(agents + 10);
    store.close();
    return {
      agents,
      seconds,
      turns,
      failedTurns,
      events: sessions.reduce((n, s) => n + s.events, 0),
      lost,
      sessionsEnded: sessions.filter((s) => s.status === 'ended').length,
      rssMb: rss,
      apiSessionsMs: stats(api),
      dashboardMs: stats(page),
    };
  } finally {
    for (const r of runs) if (r.exitCode === null) r.kill('SIGKILL');
    daemon.kill('SIGTERM');
    await new Promise((r) => (daemon.exitCode !== null ? r(undefined) : daemon.once('exit', r)));
    await model.close();
    rmSync(state, { recursive: true, force: true });
    rmSync(spaces, { recursive: true, force: true });
  }
}
