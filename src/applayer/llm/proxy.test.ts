import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import type { ProxyHooks } from './hooks.js';
import { LlmProxy } from './proxy.js';
import type { LlmResponse } from '../../model/records.js';

type Reply = (body: string, res: import('node:http').ServerResponse) => void;

async function upstream(reply: Reply): Promise<{ url: string; server: Server; bodies: string[] }> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let b = '';
    req.on('data', (d: Buffer) => (b += d.toString()));
    req.on('end', () => {
      bodies.push(b);
      reply(b, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, bodies };
}

function post(port: number, path: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('aborted', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function recorder(action: 'forwarded' | 'redacted' | 'blocked' = 'forwarded', body?: unknown) {
  const done: Array<{ status: number | null; response: LlmResponse | null }> = [];
  const hooks: ProxyHooks = {
    request: () => ({ seq: 1, action, ...(body === undefined ? {} : { body }), reason: 'no' }),
    done: (r) => done.push(r),
  };
  return { hooks, done };
}

const sse = (events: Array<[string, object]>): string =>
  events.map(([type, data]) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`).join('');

const STREAM: Array<[string, object]> = [
  ['message_start', { message: { id: 'm1', model: 'x', usage: { input_tokens: 1, output_tokens: 0 } } }],
  ['content_block_start', { index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: {} } }],
  ['content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '{"command":' } }],
  ['content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '"ls"}' } }],
  ['content_block_stop', { index: 0 }],
  ['message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 3 } }],
  ['message_stop', {}],
];

test('a streamed response is relayed byte for byte and reassembled into tool calls', async (t) => {
  const body = sse(STREAM);
  const up = await upstream((_, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (let i = 0; i < body.length; i += 7) res.write(body.slice(i, i + 7)); /* split mid-event */
    res.end();
  });
  const rec = recorder();
  const proxy = new LlmProxy({ upstreams: { anthropic: up.url, openai: up.url, gemini: up.url }, hooks: rec.hooks });
  const port = await proxy.listen();
  t.after(async () => {
    await proxy.close();
    up.server.close();
  });
  const r = await post(port, '/v1/messages', '{"messages":[]}');
  assert.equal(r.status, 200);
  assert.equal(r.text, body);
  assert.deepEqual(rec.done[0]?.response?.toolUses, [{ id: 'toolu_1', name: 'Bash', input: { command: 'ls' } }]);
  assert.equal(rec.done[0]?.response?.truncated, false);
});

test('a truncated stream reaches the agent as it was and is recorded as truncated', async (t) => {
  const body = sse(STREAM.slice(0, 3));
  const up = await upstream((_, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(body + 'event: content_block_delta\ndata: {"type":"content_blo');
    setTimeout(() => res.socket?.destroy(), 20); /* the connection drops mid-event */
  });
  const rec = recorder();
  const proxy = new LlmProxy({ upstreams: { anthropic: up.url, openai: up.url, gemini: up.url }, hooks: rec.hooks });
  const port = await proxy.listen();
  t.after(async () => {
    await proxy.close();
    up.server.close();
  });
  await post(port, '/v1/messages', '{}').catch(() => undefined);
  for (let i = 0; i < 50 && !rec.done.length; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(rec.done.length, 1);
  assert.equal(rec.done[0]?.response?.truncated, true);
  assert.equal(rec.done[0]?.response?.toolUses[0]?.input, null, 'incomplete input is never guessed');
});

test('redacted and blocked requests: what leaves is what the owner decided', async (t) => {
  const up = await upstream((_, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"content":[]}');
  });
  const red = recorder('redacted', { messages: ['[REDACTED:x]'] });
  const proxy = new LlmProxy({ upstreams: { anthropic: up.url, openai: up.url, gemini: up.url }, hooks: red.hooks });
  const port = await proxy.listen();
  const blk = recorder('blocked');
  const blocking = new LlmProxy({ upstreams: { anthropic: up.url, openai: up.url, gemini: up.url }, hooks: blk.hooks });
  const bport = await blocking.listen();
  t.after(async () => {
    await proxy.close();
    await blocking.close();
    up.server.close();
  });
  await post(port, '/v1/messages', '{"messages":["sk-ant-secret"]}');
  assert.deepEqual(up.bodies, ['{"messages":["[REDACTED:x]"]}']);
  const b = await post(bport, '/v1/messages', '{"messages":["sk-ant-secret"]}');
  assert.equal(b.status, 403);
  assert.match(b.text, /permission_error/);
  assert.equal(up.bodies.length, 1, 'a blocked request never leaves');
});

test('an oversized request is refused with 413 and the proxy keeps serving', async (t) => {
  const up = await upstream((_, res) => res.end('{}'));
  const rec = recorder();
  const proxy = new LlmProxy({
    upstreams: { anthropic: up.url, openai: up.url, gemini: up.url },
    hooks: rec.hooks,
    maxRequestBytes: 1024,
  });
  const port = await proxy.listen();
  t.after(async () => {
    await proxy.close();
    up.server.close();
  });
  const big = await post(port, '/v1/messages', 'x'.repeat(64 * 1024)).catch(() => ({ status: 413, text: '' }));
  assert.equal(big.status, 413);
  assert.equal(up.bodies.length, 0);
  const ok = await post(port, '/v1/messages', '{}');
  assert.equal(ok.status, 200);
});

test('an HTTPS upstream: the stream is relayed over TLS, and an untrusted certificate is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const gen = spawnSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
  ]);
  assert.equal(gen.status, 0, gen.stderr?.toString());
  const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  const body = sse(STREAM);
  const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const rec = recorder();
  const proxy = new LlmProxy({ upstreams: { anthropic: url, openai: url, gemini: url }, hooks: rec.hooks, ca: cert });
  const untrusting = new LlmProxy({ upstreams: { anthropic: url, openai: url, gemini: url }, hooks: recorder().hooks });
  const port = await proxy.listen();
  const port2 = await untrusting.listen();
  t.after(async () => {
    await proxy.close();
    await untrusting.close();
    server.close();
  });
  const r = await post(port, '/v1/messages', '{}');
  assert.equal(r.text, body);
  assert.equal(rec.done[0]?.response?.toolUses[0]?.name, 'Bash');
  const refused = await post(port2, '/v1/messages', '{}');
  assert.equal(refused.status, 502, 'a certificate nobody vouches for is not talked to');
});

test('the Responses API over WebSocket: relayed, recorded as turns, a blocked request never leaves', async (t) => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  const got: string[] = [];
  wss.on('connection', (s) =>
    s.on('message', (d) => {
      got.push(d.toString());
      const item = {
        type: 'function_call',
        id: 'fc_1',
        call_id: 'call_9',
        name: 'exec_command',
        arguments: '{"cmd":"ls"}',
      };
      for (const e of [
        { type: 'response.created', response: { id: 'r1', model: 'm' } },
        { type: 'response.output_item.added', output_index: 0, item: { ...item, arguments: '' } },
        { type: 'response.function_call_arguments.delta', output_index: 0, delta: item.arguments },
        { type: 'response.output_item.done', output_index: 0, item },
        {
          type: 'response.completed',
          response: { id: 'r1', model: 'm', usage: { input_tokens: 1, output_tokens: 2 } },
        },
      ])
        s.send(JSON.stringify(e));
    }),
  );
  const url = `http://127.0.0.1:${(wss.address() as AddressInfo).port}/v1`;
  let action: 'forwarded' | 'blocked' = 'forwarded';
  const done: Array<LlmResponse | null> = [];
  const hooks: ProxyHooks = {
    request: () => ({ seq: 1, action, reason: 'a secret' }),
    done: (r) => done.push(r.response),
  };
  const proxy = new LlmProxy({ upstreams: { anthropic: url, openai: url, gemini: url }, hooks });
  const port = await proxy.listen();
  t.after(async () => {
    await proxy.close();
    wss.close();
  });
  const client = new WebSocket(`ws://127.0.0.1:${port}/openai/responses`);
  await once(client, 'open');
  const seen: string[] = [];
  client.on('message', (d) => seen.push(JSON.parse(d.toString()).type));
  client.send(JSON.stringify({ type: 'response.create', model: 'm', input: 'hi' }));
  for (let i = 0; i < 100 && !done.length; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(done[0]?.toolUses, [{ id: 'call_9', name: 'exec_command', input: { cmd: 'ls' } }]);
  assert.equal(seen.at(-1), 'response.completed');
  action = 'blocked';
  client.send(JSON.stringify({ type: 'response.create', model: 'm', input: 'sk-ant-secret' }));
  for (let i = 0; i < 100 && seen.at(-1) !== 'error'; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(seen.at(-1), 'error');
  assert.equal(got.length, 1, 'the blocked request never reached the provider');
  client.close();
});

test('an unreachable upstream answers 502 in the provider shape', async (t) => {
  const rec = recorder();
  const dead = 'http://127.0.0.1:9';
  const proxy = new LlmProxy({ upstreams: { anthropic: dead, openai: dead, gemini: dead }, hooks: rec.hooks });
  const port = await proxy.listen();
  t.after(() => proxy.close());
  const r = await post(port, '/openai/chat/completions', '{}');
  assert.equal(r.status, 502);
  assert.match(r.text, /could not reach/);
});

test("a provider the agent's configuration names is served under its own route and forwarded to its base URL", async (t) => {
  const paths: string[] = [];
  const up = await upstream((_, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"id":"c1","choices":[{"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}');
  });
  up.server.on('request', (req) => paths.push(req.url ?? ''));
  const rec = recorder();
  const proxy = new LlmProxy({
    upstreams: { anthropic: 'http://127.0.0.1:9', openai: 'http://127.0.0.1:9', gemini: 'http://127.0.0.1:9' },
    hooks: rec.hooks,
  });
  proxy.addRoutes([{ prefix: '/opencode/local', provider: 'openai', upstream: `${up.url}/v1` }]);
  const port = await proxy.listen();
  t.after(async () => {
    await proxy.close();
    up.server.close();
  });
  const r = await post(
    port,
    '/opencode/local/chat/completions',
    '{"model":"m","messages":[{"role":"user","content":"hi"}]}',
  );
  assert.equal(r.status, 200);
  assert.deepEqual(paths, ['/v1/chat/completions']);
  await new Promise((res) => setImmediate(res));
  assert.equal(rec.done.length, 1);
  assert.ok(rec.done[0]?.response, 'read as the OpenAI API it speaks: a turn recorded');
  /* a look-alike prefix is not that route */
  const other = await post(port, '/opencode/localx/chat/completions', '{}');
  assert.notEqual(other.status, 200);
});
