/**
 * (e) Hosting: `warden run` standalone (a sensor of its own) against the same
 * run registered with a daemon, in the same run, interleaved:
 *  - start-up: the wall time of `warden run -q --no-policy -- true`, end to end, and hosted also
 *    under the default policy (in a workspace of its own: not this checkout, Warden's own root);
 *  - concurrency: K sessions at once, each an open/close loop, every event stored:
 *    K sensors (standalone) against the daemon's one; wall time, events and loss.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../src/config.js';
import { Store } from '../src/store/store.js';
import { percentile, startDaemon, stopDaemon } from './harness.js';

export interface HostingResult {
  startup: {
    n: number;
    standalone: { p50: number; p99: number };
    hosted: { p50: number; p99: number };
    hostedPolicy: { p50: number; p99: number };
  };
  concurrent: Array<{
    mode: 'standalone' | 'hosted';
    sessions: number;
    opsEach: number;
    wallMs: number;
    events: number;
    lost: number;
  }>;
}

const stats = (xs: number[]) => ({ p50: percentile(xs, 50), p99: percentile(xs, 99) });

function runWarden(cfg: Config, state: string, args: string[], cwd?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(cfg.root, 'bin', 'warden'), args, {
      env: { ...process.env, WARDEN_STATE_DIR: state, WARDEN_DNS_UPSTREAM: '127.0.0.1:9' },
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(code) : reject(new Error(`warden ${args.join(' ')}: ${err}`))));
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export async function hostingBench(cfg: Config, loadgen: string, quick: boolean): Promise<HostingResult> {
  mkdirSync('/run/warden-bench', { recursive: true, mode: 0o700 });
  const alone = mkdtempSync('/run/warden-bench/standalone-');
  const hostedState = mkdtempSync('/run/warden-bench/hosted-');
  const workspace = mkdtempSync('/run/warden-bench/workspace-');
  const daemon = await startDaemon(cfg, {
    ...process.env,
    WARDEN_STATE_DIR: hostedState,
    WARDEN_DNS_UPSTREAM: '127.0.0.1:9',
  });
  try {
    const n = quick ? 10 : 30;
    const cmd = ['run', '-q', '--no-policy', '--', 'true'];
    const standaloneMs: number[] = [];
    const hostedMs: number[] = [];
    const hostedPolicyMs: number[] = [];
    for (let i = 0; i < n; i++) {
      standaloneMs.push(await timed(() => runWarden(cfg, alone, cmd)));
      hostedMs.push(await timed(() => runWarden(cfg, hostedState, cmd)));
      hostedPolicyMs.push(await timed(() => runWarden(cfg, hostedState, ['run', '-q', '--', 'true'], workspace)));
    }
    const concurrent: HostingResult['concurrent'] = [];
    const sessions = 4;
    const opsEach = quick ? 20000 : 100000;
    const load = ['run', '-q', '--no-policy', '--', loadgen, 'openclose', String(opsEach), '/etc/hostname'];
    for (const [mode, state] of [
      ['standalone', alone],
      ['hosted', hostedState],
    ] as const) {
      const before = Store.use(state, (s) => new Set(s.sessions(10000).map((x) => x.id)));
      const wallMs = await timed(() =>
        Promise.all(Array.from({ length: sessions }, () => runWarden(cfg, state, load))),
      );
      const fresh = Store.use(state, (s) => s.sessions(10000).filter((x) => !before.has(x.id)));
      concurrent.push({
        mode,
        sessions,
        opsEach,
        wallMs,
        events: fresh.reduce((a, s) => a + s.events, 0),
        lost: fresh.reduce((a, s) => a + s.lost, 0),
      });
    }
    return {
      startup: { n, standalone: stats(standaloneMs), hosted: stats(hostedMs), hostedPolicy: stats(hostedPolicyMs) },
      concurrent,
    };
  } finally {
    await stopDaemon(daemon);
    rmSync(alone, { recursive: true, force: true });
    rmSync(hostedState, { recursive: true, force: true });
    rmSync(workspace, { recursive: true, force: true });
  }
}
