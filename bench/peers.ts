/**
 * (g) Warden beside its peers on the same agent-style work, interleaved in one run:
 * bench/workload.sh (type-check, rg, grep, git, node starts) bare, under `warden run`
 * monitoring only and with the default policy (standalone), with the default policy hosted by a
 * `warden daemon` (up only around its own runs: its sensor's programs see every process on the
 * host, and the other modes run without them; a session first, unmeasured, as a long-lived
 * daemon has had one), under sandbox-runtime (srt, npm, with
 * Debian's bubblewrap and socat) and under `strace -f`; wall and CPU (user+sys of the
 * machine while it ran, Warden's own processes included). Then start-up (`true` under each) and
 * the cost of one hook call.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../src/config.js';
import { percentile, startDaemon, stopDaemon } from './harness.js';

export type PeerMode = 'bare' | 'warden-monitor' | 'warden-policy' | 'warden-hosted' | 'srt' | 'strace';
const MODES: PeerMode[] = ['bare', 'warden-monitor', 'warden-policy', 'warden-hosted', 'srt', 'strace'];

export interface Spread {
  min: number;
  median: number;
  max: number;
}
export interface PeerRow {
  mode: PeerMode;
  wallS: Spread;
  cpuS: Spread;
  /** the median of each round's ratio to the bare run of that round */
  wallRatio: Spread;
  cpuRatio: Spread;
}
export interface PeersResult {
  rounds: number;
  workload: PeerRow[];
  startupMs: Array<{ mode: PeerMode; p50: number; p99: number; n: number }>;
  /** one hook call from a shell: the native hook inside a session, outside one with the daemon up
   * (it decides) and with none (the JavaScript hook decides); an exec of true for scale */
  hookMs: {
    insideSession: number;
    outsideDaemon: number;
    outsideSession: number;
    execTrueInside: number;
    calls: number;
  };
}

const spread = (xs: number[]): Spread => ({
  min: Math.min(...xs),
  median: percentile(xs, 50),
  max: Math.max(...xs),
});

/** CPU seconds the whole machine has been busy (every CPU, all but idle and iowait): /proc/stat. */
function busySeconds(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return (user + nice + system + irq + softirq + steal) / 100; /* USER_HZ */
}

/**
 * Runs argv: its wall time, and the CPU the machine spent meanwhile. The machine's, not the
 * command's: a sandbox's processes need not be the command's children (Warden's agent runs
 * under its own init, srt's under bubblewrap), and Warden's own work (its Node process, the
 * loader, the programs in the kernel) is part of the cost. Other load on the machine counts
 * too, which the interleaved rounds and medians even out.
 */
function timed(argv: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ wall: number; cpu: number }> {
  return new Promise((resolve, reject) => {
    const cpu0 = busySeconds();
    const t0 = process.hrtime.bigint();
    const [cmd = '', ...args] = argv;
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`${argv.join(' ')} failed (${code}): ${err.slice(-1500)}`));
      resolve({ wall: Number(process.hrtime.bigint() - t0) / 1e9, cpu: busySeconds() - cpu0 });
    });
  });
}

/** The peers that are not here, and how to get them. */
function missingPeers(cfg: Config): string[] {
  const need: Array<[string, string]> = [
    ['/usr/bin/bwrap', 'apt-get install bubblewrap'],
    ['/usr/bin/socat', 'apt-get install socat'],
    ['/usr/bin/strace', 'apt-get install strace'],
    ['/usr/bin/rg', 'apt-get install ripgrep'],
    [srtCli(cfg), 'npm ci (the devDependency @anthropic-ai/sandbox-runtime)'],
  ];
  return need.filter(([p]) => !existsSync(p)).map(([p, how]) => `${p} (${how})`);
}

const srtCli = (cfg: Config): string =>
  join(cfg.root, 'node_modules', '@anthropic-ai', 'sandbox-runtime', 'dist', 'cli.js');

interface Peers {
  prefix: (mode: PeerMode) => string[];
  env: NodeJS.ProcessEnv;
  /** fn with what `mode` needs around it: for warden-hosted, the daemon up */
  around: <T>(mode: PeerMode, fn: () => Promise<T>) => Promise<T>;
  cleanup: () => void;
}

/** How each mode runs a command, with its own state and settings. */
function peers(cfg: Config, ws: string): Peers {
  const scratch = mkdtempSync('/run/warden-bench/peers-');
  const settings = join(scratch, 'srt-settings.json');
  /* what the default policy means, as near as srt can say it: the workspace and /tmp writable, ~/.ssh unreadable */
  writeFileSync(
    settings,
    JSON.stringify({
      network: { allowedDomains: ['api.anthropic.com'], deniedDomains: [] },
      filesystem: { denyRead: ['~/.ssh'], allowWrite: [ws, '/tmp'], denyWrite: [] },
    }),
  );
  const warden = join(cfg.root, 'bin', 'warden');
  const prefix = (mode: PeerMode): string[] => {
    switch (mode) {
      case 'bare':
        return [];
      case 'warden-monitor':
        return [warden, 'run', '-q', '--standalone', '--no-policy', '-w', ws, '--'];
      case 'warden-policy':
        return [warden, 'run', '-q', '--standalone', '-w', ws, '--'];
      case 'warden-hosted':
        return [warden, 'run', '-q', '-w', ws, '--'];
      case 'srt':
        return [process.execPath, srtCli(cfg), '-s', settings];
      case 'strace':
        return ['strace', '-f', '-qq', '-o', '/dev/null'];
    }
  };
  const env = { ...process.env, WARDEN_STATE_DIR: join(scratch, 'state'), WARDEN_DNS_UPSTREAM: '127.0.0.1:9' };
  return {
    prefix,
    env,
    around: async (mode, fn) => {
      if (mode !== 'warden-hosted') return fn();
      const daemon = await startDaemon(cfg, env);
      try {
        /* a daemon lives long: its first session (Node compiling its paths) is not what the others cost */
        await timed([...prefix('warden-hosted'), 'true'], env, ws);
        return await fn();
      } finally {
        await stopDaemon(daemon);
      }
    },
    cleanup: () => rmSync(scratch, { recursive: true, force: true }),
  };
}

/** A workspace: a clone of this repository at HEAD, its node_modules linked (read, never written). */
async function workspace(cfg: Config): Promise<string> {
  const ws = mkdtempSync('/tmp/warden-bench-ws-');
  await timed(['git', 'clone', '-q', cfg.root, ws], process.env, '/tmp');
  symlinkSync(join(cfg.root, 'node_modules'), join(ws, 'node_modules'));
  return ws;
}

/** Per-call milliseconds of `cmd < input` in a shell loop, timed inside that shell. */
const loop = (cmd: string, input: string, n: number, out: string): string =>
  `s=$(date +%s%N); i=0; while [ $i -lt ${n} ]; do ${cmd} < ${input} > /dev/null; i=$((i+1)); done; ` +
  `e=$(date +%s%N); echo $(( (e - s) / ${n} )) >> ${out}`;

async function hookCost(cfg: Config, p: Peers, ws: string, n: number): Promise<PeersResult['hookMs']> {
  const input = join(ws, '.bench-hook.json');
  writeFileSync(
    input,
    JSON.stringify({ hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'ls' }, cwd: ws }),
  );
  const out = join(ws, '.bench-hook.out');
  rmSync(out, { force: true });
  const native = join(cfg.root, 'sensor', 'build', 'warden-hook');
  const inside = [loop(native, input, n, out), loop('/bin/true', input, n, out)].join('; ');
  await timed([...p.prefix('warden-policy'), 'bash', '-c', inside], p.env, ws);
  const hook = `${join(cfg.root, 'bin', 'warden')} hook`;
  await p.around('warden-hosted', () => timed(['bash', '-c', loop(hook, input, n, out)], p.env, ws));
  await timed(['bash', '-c', loop(hook, input, Math.ceil(n / 5), out)], p.env, ws);
  const [inside_, exec, daemon, outside] = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((x) => Number(x) / 1e6);
  return {
    insideSession: inside_ ?? NaN,
    execTrueInside: exec ?? NaN,
    outsideDaemon: daemon ?? NaN,
    outsideSession: outside ?? NaN,
    calls: n,
  };
}

export async function peersBench(cfg: Config, quick: boolean): Promise<PeersResult> {
  const missing = missingPeers(cfg);
  if (missing.length) throw new Error(`peers not installed (bench/run.sh installs them): ${missing.join(', ')}`);
  const rounds = quick ? 2 : 5;
  const ws = await workspace(cfg);
  const p = peers(cfg, ws);
  try {
    const script = join(cfg.root, 'bench', 'workload.sh');
    await timed(['bash', script, ws], p.env, ws); /* warm the page cache once, unmeasured */
    const runs = new Map<PeerMode, Array<{ wall: number; cpu: number }>>(MODES.map((m) => [m, []]));
    for (let r = 0; r < rounds; r++) {
      /* a different order each round, so no mode always follows another */
      const order = MODES.map((_, i) => MODES[(i + r) % MODES.length] as PeerMode);
      for (const mode of order)
        runs.get(mode)?.push(await p.around(mode, () => timed([...p.prefix(mode), 'bash', script, ws], p.env, ws)));
    }
    const bare = runs.get('bare') ?? [];
    const workload = MODES.map((mode): PeerRow => {
      const xs = runs.get(mode) ?? [];
      return {
        mode,
        wallS: spread(xs.map((x) => x.wall)),
        cpuS: spread(xs.map((x) => x.cpu)),
        wallRatio: spread(xs.map((x, i) => x.wall / (bare[i]?.wall ?? NaN))),
        cpuRatio: spread(xs.map((x, i) => x.cpu / (bare[i]?.cpu ?? NaN))),
      };
    });
    const startupMs: PeersResult['startupMs'] = [];
    const n = quick ? 5 : 15;
    const starts = new Map<PeerMode, number[]>(MODES.map((m) => [m, []]));
    for (const mode of MODES)
      await p.around(mode, async () => {
        for (let i = 0; i < n; i++)
          starts.get(mode)?.push((await timed([...p.prefix(mode), 'true'], p.env, ws)).wall * 1000);
      });
    for (const mode of MODES) {
      const xs = starts.get(mode) ?? [];
      startupMs.push({ mode, p50: percentile(xs, 50), p99: percentile(xs, 99), n: xs.length });
    }
    return { rounds, workload, startupMs, hookMs: await hookCost(cfg, p, ws, quick ? 20 : 50) };
  } finally {
    p.cleanup();
    rmSync(ws, { recursive: true, force: true });
  }
}
