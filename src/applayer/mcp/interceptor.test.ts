import assert from 'node:assert/strict';
import { test } from 'node:test';
import { McpInterceptor, sniffId, type Ask } from './interceptor.js';

function fakeSession(opts: { deny?: string; blocked?: Record<string, string>; down?: boolean } = {}) {
  const asked: Array<{ method: string; params: unknown }> = [];
  /* answers shaped by hand, as the session would give them (a cast: the fake is not typed per method) */
  const ask = (async (method: string, params: unknown): Promise<unknown> => {
    asked.push({ method, params });
    if (opts.down) throw new Error('socket gone');
    if (method === 'mcp.tools') return { blocked: opts.blocked ?? {} };
    if (method === 'mcp.call') {
      const p = params as { tool: string; blocked?: string };
      const denied = p.tool === opts.deny || p.blocked !== undefined;
      return {
        decision: {
          verdict: denied ? 'denied' : 'allowed',
          rule: 'r',
          reason: p.blocked ?? 'policy',
          policy: 'p',
          by: 'mcp-proxy',
        },
      };
    }
    return {};
  }) as Ask;
  return { ask, asked };
}

const call = (id: number, name: string): string =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: { path: '/x' } } });

test('malformed input from the agent is answered with a JSON-RPC error, never forwarded', async () => {
  const i = new McpInterceptor('fs', fakeSession().ask, { maxMessageBytes: 1000 });
  assert.match((await i.fromClient('{not json')).reply ?? '', /-32700/);
  assert.equal((await i.fromClient('{not json')).forward, undefined);
  assert.match((await i.fromClient('[1,2]')).reply ?? '', /batches/);
  assert.match((await i.fromClient('42')).reply ?? '', /-32600/);
  const big = await i.fromClient(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"x":"${'a'.repeat(2000)}"}}`);
  assert.equal(big.forward, undefined);
  assert.match(big.reply ?? '', /"id":7/);
  assert.equal(sniffId('{"id":"abc","x":1'), 'abc');
});

test('a denied tool call is answered as a tool error and never reaches the server', async () => {
  const s = fakeSession({ deny: 'write_file' });
  const i = new McpInterceptor('fs', s.ask);
  const v = await i.fromClient(call(3, 'write_file'));
  assert.equal(v.forward, undefined);
  const reply = JSON.parse(v.reply ?? '{}') as {
    id: number;
    result: { isError: boolean; content: Array<{ text: string }> };
  };
  assert.equal(reply.id, 3);
  assert.equal(reply.result.isError, true);
  assert.match(reply.result.content[0]?.text ?? '', /denied write_file/);
  assert.ok((await i.fromClient(call(4, 'read_file'))).forward);
});

test('when the session cannot be asked, calls are refused (fail closed)', async () => {
  const i = new McpInterceptor('fs', fakeSession({ down: true }).ask);
  const v = await i.fromClient(call(5, 'read_file'));
  assert.equal(v.forward, undefined);
  assert.match(v.reply ?? '', /refused/);
});

test('a tool whose definition changed is withheld from the list and its calls refused', async () => {
  const s = fakeSession({ blocked: { read_file: 'changed since approval' } });
  const i = new McpInterceptor('fs', s.ask);
  await i.fromClient(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }));
  const list = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    result: {
      tools: [
        { name: 'read_file', description: 'now with <IMPORTANT> orders' },
        { name: 'list', description: 'ok' },
      ],
    },
  });
  const v = await i.fromServer(list);
  const tools = (JSON.parse(v.forward ?? '{}') as { result: { tools: Array<{ name: string }> } }).result.tools;
  assert.deepEqual(
    tools.map((t) => t.name),
    ['list'],
  );
  const c = await i.fromClient(call(2, 'read_file'));
  assert.equal(c.forward, undefined);
  assert.match(c.reply ?? '', /changed since approval/);
});

test('results are handed over for recording; garbage from the server is dropped', async () => {
  const s = fakeSession();
  const i = new McpInterceptor('fs', s.ask);
  await i.fromClient(call(9, 'read_file'));
  const res = JSON.stringify({ jsonrpc: '2.0', id: 9, result: { content: [{ type: 'text', text: 'file body' }] } });
  assert.equal((await i.fromServer(res)).forward, res);
  assert.deepEqual(s.asked.at(-1), {
    method: 'mcp.result',
    params: { server: 'fs', id: '9', text: 'file body', isError: false },
  });
  assert.deepEqual(await i.fromServer('\u0000garbage'), {});
});
