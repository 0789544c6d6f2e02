/**
 * (d) Application-layer costs, each against a direct peer in the same run:
 *  - the LLM proxy: a streamed Messages API response and a JSON one, through the
 *    proxy vs straight to the same local endpoint (time to the last byte);
 *  - the MCP proxy: tools/call on @modelcontextprotocol/server-filesystem behind
 *    `warden mcp` (inside-a-session mode, asking a session socket) vs the server alone;
 *  - the hook as `warden hooks install` installs it (the native warden-hook): one PreToolUse
 *    decision through a session socket, vs `cat` reading the same input (the floor any hook pays).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Worker } from 'node:worker_threads';
import { LlmProxy } from '../src/applayer/llm/proxy.js';
import { AppLayerService } from '../src/applayer/service.js';
import { APP } from '../src/rpc/app.js';
import { serve } from '../src/rpc/server.js';
import type { Config } from '../src/config.js';
import { compilePolicy } from '../src/policy/compile.js';
import { loadPolicy } from '../src/policy/load.js';
import { Store } from '../src/store/store.js';
import { McpClient } from '../test/fixtures/mcp-client.js';
import { percentile } from './harness.js';

export interface LatencyRow {
  op: string;
  n: number;
  direct: { p50: number; p99: number };
  proxied: { p50: number; p99: number };
}

const stats = (xs: number[]) => ({ p50: percentile(xs, 50), p99: percentile(xs, 99) });

/**
 * The agent and its model provider run in a thread of their own, as they are processes of their
 * own: the proxy (and the turn's recording) has this thread to itself, as it has the daemon's.
 */
async function llmProxyBench(app: AppLayerService, n: number): Promise<LatencyRow[]> {
  const agent = new Worker(new URL('./llm-agent.js', import.meta.url), { workerData: { n } });
  const message = <T>(): Promise<T> =>
    new Promise((resolve, reject) => {
      agent.once('message', resolve);
      agent.once('error', reject);
    });
  const { upstream } = await message<{ upstream: string }>();
  const proxy = new LlmProxy({
    upstreams: { anthropic: upstream, openai: upstream, gemini: upstream },
    hooks: app.proxyHooks,
  });
  try {
    const proxyPort = await proxy.listen();
    const done = message<{ rows: LatencyRow[] }>();
    agent.postMessage({ proxyPort });
    return (await done).rows;
  } finally {
    await proxy.close();
    await agent.terminate();
  }
}

async function mcpBench(cfg: Config, socket: string, ws: string, n: number): Promise<LatencyRow> {
  const server = join(cfg.root, 'node_modules', '@modelcontextprotocol', 'server-filesystem', 'dist', 'index.js');
  const env = { ...process.env, WARDEN_SOCKET: socket, WARDEN_SESSION: 'bench' };
  const direct = new McpClient(process.execPath, [server, ws], env);
  const proxied = new McpClient(
    join(cfg.root, 'bin', 'warden'),
    ['mcp', '--name', 'fs', '--', process.execPath, server, ws],
    env,
  );
  const d: number[] = [];
  const p: number[] = [];
  try {
    await direct.initialize();
    await proxied.initialize();
    const args = { name: 'read_text_file', arguments: { path: join(ws, 'file.txt') } };
    for (let i = 0; i < 20; i++) await proxied.request('tools/call', args);
    for (let i = 0; i < n; i++) {
      let t0 = process.hrtime.bigint();
      await direct.request('tools/call', args);
      d.push(Number(process.hrtime.bigint() - t0));
      t0 = process.hrtime.bigint();
      await proxied.request('tools/call', args);
      p.push(Number(process.hrtime.bigint() - t0));
    }
  } finally {
    await direct.close();
    await proxied.close();
  }
  return { op: 'MCP tools/call read_text_file', n, direct: stats(d), proxied: stats(p) };
}

function runOnce(cmd: string, args: string[], input: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const c = spawn(cmd, args, { env, stdio: ['pipe', 'ignore', 'inherit'] });
    c.stdin.end(input);
    c.on('close', () => resolve(Number(process.hrtime.bigint() - t0)));
  });
}

async function hookBench(cfg: Config, socket: string, n: number): Promise<LatencyRow> {
  const env = { ...process.env, WARDEN_SOCKET: socket, WARDEN_SESSION: 'bench' };
  const input = JSON.stringify({
    hook_event_name: 'PreToolUse',
    tool_name: 'Bash',
    tool_input: { command: 'npm test' },
    tool_use_id: 'toolu_bench',
    cwd: '/tmp',
  });
  const d: number[] = [];
  const p: number[] = [];
  for (let i = 0; i < n; i++) {
    d.push(await runOnce('/bin/cat', [], input, env));
    p.push(await runOnce(join(cfg.root, 'sensor', 'build', 'warden-hook'), [], input, env));
  }
  return { op: 'warden-hook (PreToolUse) vs cat', n, direct: stats(d), proxied: stats(p) };
}

export async function applayerBench(cfg: Config, quick: boolean): Promise<LatencyRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-app-'));
  const store = Store.open(join(dir, 'state'));
  const policy = compilePolicy(loadPolicy(join(cfg.root, 'policies', 'coding-agent.yaml')), { workspace: dir });
  store.createSession({
    id: 'bench',
    name: 'bench',
    command: ['bench'],
    cwd: dir,
    cgroup: '',
    cgroupId: '0',
    status: 'running',
    startedUs: Date.now() * 1000,
    rootPid: null,
  });
  const app = new AppLayerService({ sessionId: 'bench', records: store.app, policy: () => policy, cwd: dir });
  const socketPath = join(dir, 'app.sock');
  const socket = await serve(socketPath, APP, app.handlers);
  writeFileSync(join(dir, 'file.txt'), 'hello\n'.repeat(100));
  try {
    const rows = await llmProxyBench(app, quick ? 200 : 1000);
    rows.push(await mcpBench(cfg, socketPath, dir, quick ? 200 : 1000));
    rows.push(await hookBench(cfg, socketPath, quick ? 10 : 30));
    return rows;
  } finally {
    socket.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
