/**
 * `warden mcp`'s proxies: a stdio server run behind Warden (in the agent's session, or as a
 * session of its own), or a remote streamable-HTTP server served on a local endpoint. Loaded
 * when the command runs: they bring in the whole session machinery.
 */
import { spawn } from 'node:child_process';
import { basename, resolve } from 'node:path';
import { McpInterceptor, type Ask } from '../applayer/mcp/interceptor.js';
import { pipeStdio } from '../applayer/mcp/stdio.js';
import { APP } from '../rpc/app.js';
import { RpcClient } from '../rpc/client.js';
import { localCall } from '../rpc/protocol.js';
import { parseHostPort, sessionEnv, type Config } from '../config.js';
import { newSessionId } from '../host/self-protection.js';
import { runSession } from '../host/standalone.js';
import { serveMcpHttp } from '../applayer/mcp/http.js';
import { AppLayerService } from '../applayer/service.js';
import { DEFAULT_POLICY, policyPath } from '../policy/builtin.js';
import { compilePolicy } from '../policy/compile.js';
import { loadPolicy } from '../policy/load.js';
import { openStore } from '../session/reconcile.js';

/** A name for the server from its command: the package or script name. */
export function serverName(command: string[]): string {
  const pkg = command.find(
    (a) => /^@?[\w.-]+(\/[\w.-]+)?(@[\w.^~-]+)?$/.test(a) && !/^(npx|node|uvx|python3?|-y)$/.test(a),
  );
  const base = basename(pkg ?? command[command.length - 1] ?? 'server').replace(/@[\w.^~-]+$/, '');
  return base.replace(/\.(m?js|py|ts)$/, '').replace(/[^\w.-]/g, '_') || 'server';
}

export interface McpFlags {
  name?: string;
  url?: string;
  listen?: string;
  policy?: string | false;
  workspace?: string;
}

export async function proxyStdio(cfg: Config, command: string[], o: McpFlags): Promise<number> {
  const server = o.name ?? serverName(command);
  const { socket, sessionId } = sessionEnv();
  if (socket) {
    /* inside a session: the server is in its cgroup already; the session decides */
    if (o.policy)
      process.stderr.write(`warden mcp: inside session ${sessionId}: its policy decides, --policy is not used\n`);
    const ask: Ask = new RpcClient(APP, socket).call;
    const [cmd, ...args] = command;
    const child = spawn(cmd ?? '', args, { stdio: ['pipe', 'pipe', 'inherit'] });
    pipeStdio(
      new McpInterceptor(server, ask),
      { input: process.stdin, output: process.stdout },
      {
        input: child.stdin,
        output: child.stdout,
      },
    );
    return await new Promise((r) => {
      child.on('error', (e) => {
        process.stderr.write(`warden mcp: cannot start ${cmd}: ${e.message}\n`);
        r(127);
      });
      child.on('exit', (code, sig) => r(code ?? 128 + (sig ? 15 : 0)));
    });
  }
  if (process.getuid?.() !== 0)
    throw new Error('warden mcp outside a warden run session needs root (it runs the server as a session)');
  const workspace = resolve(o.workspace ?? process.cwd());
  const policy =
    o.policy === false
      ? null
      : compilePolicy(loadPolicy(policyPath(cfg.root, o.policy ?? DEFAULT_POLICY)), { workspace });
  const { status, session } = await runSession(cfg, {
    command,
    name: `mcp ${server}`,
    stdio: 'pipe',
    enforcement: { policy, workspace },
    onStart: (child, app) => {
      const ask: Ask = localCall(APP, app.handlers);
      if (!child.stdin || !child.stdout) throw new Error('the MCP server has no stdio pipes');
      pipeStdio(
        new McpInterceptor(server, ask),
        { input: process.stdin, output: process.stdout },
        {
          input: child.stdin,
          output: child.stdout,
        },
      );
    },
  });
  process.stderr.write(
    `warden mcp: session ${session.id} ended (${session.events} events); see: warden timeline -s ${session.id}\n`,
  );
  return status;
}

/** `--url`: a remote streamable-HTTP server behind a local endpoint. Runs until interrupted. */
export async function proxyHttp(cfg: Config, o: McpFlags & { url: string }): Promise<number> {
  const remote = new URL(o.url);
  const server = o.name ?? remote.hostname.replace(/[^\w.-]/g, '_');
  const listen = parseHostPort(o.listen ?? '127.0.0.1:0', 0);
  const { socket, sessionId } = sessionEnv();
  let ask: Ask;
  let finish = (): void => undefined;
  let id = sessionId ?? '';
  if (socket) {
    ask = new RpcClient(APP, socket).call;
  } else {
    /* a remote server has no local processes: its session holds its calls, decisions and alerts */
    const store = openStore(cfg.stateDir);
    id = newSessionId();
    store.createSession({
      id,
      name: `mcp ${server} (remote ${remote.origin})`,
      command: ['warden', 'mcp', '--url', o.url],
      cwd: process.cwd(),
      cgroup: '',
      cgroupId: '0',
      status: 'running',
      startedUs: Date.now() * 1000,
      rootPid: process.pid,
    });
    const workspace = resolve(o.workspace ?? process.cwd());
    const policy =
      o.policy === false
        ? null
        : compilePolicy(loadPolicy(policyPath(cfg.root, o.policy ?? DEFAULT_POLICY)), { workspace });
    store.updateSession(id, { policy: policy ? `${policy.name} (${policy.mode})` : null });
    const app = new AppLayerService({ sessionId: id, records: store.app, policy: () => policy, cwd: workspace });
    ask = localCall(APP, app.handlers);
    finish = () => {
      store.updateSession(id, { status: 'ended', endedUs: Date.now() * 1000 });
      store.close();
    };
  }
  const { server: http, port } = await serveMcpHttp(new McpInterceptor(server, ask), remote, listen);
  console.log(`http://${listen.host}:${port}${remote.pathname}`);
  process.stderr.write(
    `warden mcp: ${remote.href} as MCP server "${server}" at http://${listen.host}:${port}${remote.pathname} (session ${id})\n`,
  );
  await new Promise<void>((r) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => r());
  });
  http.close();
  finish();
  return 0;
}

/** `warden mcp approve`: the changed definitions accepted, all of a server's or the named tools'. */
