/**
 * A real MCP server from npm (@modelcontextprotocol/server-filesystem) behind
 * `warden mcp`: its calls are recorded and attributed to its session, a tool
 * the policy denies never reaches it, a changed tool definition is withheld
 * until approved, and malformed input does not get through or bring it down.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Alert, ToolCall } from '../src/applayer/records.js';
import type { WardenEvent } from '../src/pipeline/events.js';
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
  const huge = await c.raw(JSON.stringify({ jsonrpc: '2.0', id: 78, method: 'tools/call', params: { name: 'write_file', arguments: { content: 'y'.repeat(5 << 20) } } }), 78);
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
  assert.match(sessionEvents, new RegExp(`"path":"${join(ws.path, 'a.txt')}"`), "the server's file reads are in its session");

  /* 2. a rug pull: the definition the server serves is not the one approved */
  const store = Store.open(state.path);
  const pin = store.app.mcpTools('fs').find((x) => x.tool === 'read_text_file');
  assert.ok(pin);
  store.app.putMcpTool({ ...pin, hash: 'approved-earlier', description: 'Read a file (the version approved)' });
  store.close();
  c = start(state.path, ws.path, policy);
  await c.initialize();
  assert.ok(!(await toolNames(c)).includes('read_text_file'), 'the changed tool is withheld');
  const blocked = await c.request('tools/call', { name: 'read_text_file', arguments: { path: join(ws.path, 'a.txt') } });
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
