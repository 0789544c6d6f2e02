/**
 * A real MCP server from npm (@modelcontextprotocol/server-filesystem) behind
 * `warden mcp`: its calls are recorded and attributed to its session, a tool
 * the policy denies never reaches it, a changed tool definition is withheld
 * until approved, and malformed input does not get through or bring it down.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Alert, ToolCall } from '../src/model/records.js';
import type { WardenEvent } from '../src/model/events.js';
import { Store } from '../src/store/store.js';
import { McpClient } from './fixtures/mcp-client.js';
import { needKernel, ROOT, stateDir, tempDir, warden, WARDEN } from './helpers.js';

const SERVER = join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-filesystem', 'dist', 'index.js');
type Content = { content: Array<{ text: string }>; isError?: boolean };
type Timeline = { otherToolCalls: Array<ToolCall & { events: WardenEvent[] }>; alerts: Alert[] };

function start(state: string, ws: string, policy: string): McpClient {
  return new McpClient(WARDEN, ['mcp', '--name', 'fs', '--policy', policy, '-w', ws, '--', 'node', SERVER, ws], {
    ...process.env,
    WARDEN_STATE_DIR: state,
    NO_COLOR: '1',
  });
}

async function toolNames(c: McpClient): Promise<string[]> {
  const r = await c.request('tools/list');
  return ((r.result as { tools: Array<{ name: string }> }).tools ?? []).map((t) => t.name);
}

test('server-filesystem behind warden mcp: recorded, denied, pinned, and robust', async (t) => {
  if (!needKernel(t)) return;
  const state = stateDir('mcp');
  const ws = tempDir('mcp-ws');
  const pdir = tempDir('mcp-policy');
  t.after(() => [state, ws, pdir].forEach((d) => d.cleanup()));
  writeFileSync(join(ws.path, 'a.txt'), 'hello from a\n');
  const policy = join(pdir.path, 'p.yaml');
  writeFileSync(
    policy,
    'apiVersion: warden.dev/v1\nkind: Policy\nmetadata: { name: mcp-test }\ntools:\n  deny: [mcp__fs__write_file]\n',
  );

  /* 1. calls recorded; a denied tool blocked; malformed input answered, not passed on */
  let c = start(state.path, ws.path, policy);
  const init = await c.initialize();
  assert.ok(init.result, `initialize: ${JSON.stringify(init)} ${c.stderr}`);
  assert.ok((await toolNames(c)).includes('read_text_file'));
  const read = await c.request('tools/call', { name: 'read_text_file', arguments: { path: join(ws.path, 'a.txt') } });
  assert.match((read.result as Content).content[0]?.text ?? '', /hello from a/);
  const write = await c.request('tools/call', {
    name: 'write_file',
    arguments: { path: join(ws.path, 'b.txt'), content: 'x' },
  });
  assert.equal((write.result as Content).isError, true);
  assert.match((write.result as Content).content[0]?.text ?? '', /Warden denied write_file.*tools\.deny\[0\]/);
  assert.equal(existsSync(join(ws.path, 'b.txt')), false, 'the denied call never reached the server');
  const garbage = await c.raw('{"jsonrpc":"2.0","id":77,"method":', null);
  assert.equal(garbage.error?.code, -32700);
  const huge = await c.raw(
    JSON.stringify({
      jsonrpc: '2.0',
      id: 78,
      method: 'tools/call',
      params: { name: 'write_file', arguments: { content: 'y'.repeat(5 << 20) } },
    }),
    78,
  );
  assert.equal(huge.error?.code, -32600);
  const list = await c.request('tools/call', { name: 'list_directory', arguments: { path: ws.path } });
  assert.match((list.result as Content).content[0]?.text ?? '', /a\.txt/, 'still serving after bad input');
  assert.equal(await c.close(), 0, c.stderr);

  const tl = JSON.parse(warden(state.path, ['timeline', '--last', '--json']).stdout) as Timeline;
  const readCall = tl.otherToolCalls.find((x) => x.name === 'mcp__fs__read_text_file');
  assert.ok(readCall, 'the call is recorded');
  assert.equal(readCall.result?.text.includes('hello from a'), true);
  assert.ok(
    readCall.events.some((e) => e.type === 'open' && e.path === join(ws.path, 'a.txt')),
    "the server's read of a.txt is linked to the call that asked for it",
  );
  const denied = tl.otherToolCalls.find((x) => x.name === 'mcp__fs__write_file');
  assert.equal(denied?.decision?.verdict, 'denied');
  const sessionEvents = warden(state.path, ['events', '--last', '--json']).stdout;
  assert.match(
    sessionEvents,
    new RegExp(`"path":"${join(ws.path, 'a.txt')}"`),
    "the server's file reads are in its session",
  );

  /* 2. a rug pull: the definition the server serves is not the one approved */
  const store = Store.open(state.path);
  const pin = store.app.mcpTools('fs').find((x) => x.tool === 'read_text_file');
  assert.ok(pin);
  store.app.putMcpTool({ ...pin, hash: 'approved-earlier', description: 'Read a file (the version approved)' });
  store.close();
  c = start(state.path, ws.path, policy);
  await c.initialize();
  assert.ok(!(await toolNames(c)).includes('read_text_file'), 'the changed tool is withheld');
  const blocked = await c.request('tools/call', {
    name: 'read_text_file',
    arguments: { path: join(ws.path, 'a.txt') },
  });
  assert.equal((blocked.result as Content).isError, true);
  assert.match((blocked.result as Content).content[0]?.text ?? '', /changed since it was approved/);
  assert.equal(await c.close(), 0);
  const alerts = (JSON.parse(warden(state.path, ['timeline', '--last', '--json']).stdout) as Timeline).alerts;
  assert.ok(alerts.some((a) => a.detector === 'mcp.rug-pull'));
  assert.match(warden(state.path, ['mcp', 'tools', '--server', 'fs']).stdout, /read_text_file\s+CHANGED: blocked/);

  /* 3. approved: served again */
  const approve = warden(state.path, ['mcp', 'approve', '--server', 'fs', 'read_text_file']);
  assert.equal(approve.status, 0, approve.stderr);
  c = start(state.path, ws.path, policy);
  await c.initialize();
  assert.ok((await toolNames(c)).includes('read_text_file'));
  assert.equal(await c.close(), 0);
});

/** A small streamable-HTTP MCP server: JSON for most answers, an SSE stream for tools/list. */
async function remoteServer(): Promise<{ url: string; calls: string[]; close: () => void }> {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const m = JSON.parse(body || '{}') as { id?: number; method?: string; params?: { name?: string } };
      if (m.id === undefined) return void res.writeHead(202).end();
      const reply = (result: unknown): string => JSON.stringify({ jsonrpc: '2.0', id: m.id, result });
      if (m.method === 'tools/list') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const tools = [
          { name: 'echo', description: 'Echo text back', inputSchema: { type: 'object' } },
          { name: 'delete_repo', description: 'Delete a repository', inputSchema: { type: 'object' } },
        ];
        res.end(`event: message\ndata: ${reply({ tools })}\n\n`);
        return;
      }
      if (m.method === 'tools/call') calls.push(m.params?.name ?? '');
      const result =
        m.method === 'initialize'
          ? { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'remote', version: '1' } }
          : { content: [{ type: 'text', text: `called ${m.params?.name}` }] };
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'abc' });
      res.end(reply(result));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, calls, close: () => server.close() };
}

test('a remote streamable-HTTP server behind warden mcp --url: JSON and SSE answers judged alike', async (t) => {
  const state = stateDir('mcp-http');
  const pdir = tempDir('mcp-http-policy');
  const remote = await remoteServer();
  const policy = join(pdir.path, 'p.yaml');
  writeFileSync(
    policy,
    'apiVersion: warden.dev/v1\nkind: Policy\nmetadata: { name: remote }\ntools:\n  deny: ["mcp__gh__delete_*"]\n',
  );
  const proxy = spawn(WARDEN, ['mcp', '--url', remote.url, '--name', 'gh', '--policy', policy], {
    env: { ...process.env, WARDEN_STATE_DIR: state.path, WARDEN_SOCKET: '', WARDEN_SESSION: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    proxy.kill('SIGTERM');
    remote.close();
    state.cleanup();
    pdir.cleanup();
  });
  const [line] = (await once(proxy.stdout.setEncoding('utf8'), 'data')) as [string];
  const local = line.trim();
  let id = 0;
  const rpc = async (
    method: string,
    params: unknown,
  ): Promise<{ result?: Content & { tools?: Array<{ name: string }> } }> => {
    const r = await fetch(local, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
    });
    const text = await r.text();
    const data = r.headers.get('content-type')?.includes('event-stream')
      ? (/^data: (.*)$/m.exec(text)?.[1] ?? '{}')
      : text;
    return JSON.parse(data) as { result?: Content & { tools?: Array<{ name: string }> } };
  };
  await rpc('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } });
  const tools = await rpc('tools/list', {});
  assert.deepEqual(
    tools.result?.tools?.map((x) => x.name),
    ['echo', 'delete_repo'],
    'the SSE answer came through',
  );
  assert.match(
    (await rpc('tools/call', { name: 'echo', arguments: { text: 'hi' } })).result?.content[0]?.text ?? '',
    /called echo/,
  );
  const denied = await rpc('tools/call', { name: 'delete_repo', arguments: { repo: 'x' } });
  assert.equal(denied.result?.isError, true);
  assert.deepEqual(remote.calls, ['echo'], 'the denied call never reached the remote server');
  const bad = await fetch(local, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"jsonrpc":',
  });
  assert.match(await bad.text(), /-32700/);
});
