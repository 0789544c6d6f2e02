/**
 * bench (d)'s agent and model provider for the LLM proxy, in a worker thread (applayer.ts starts
 * it): a local Messages API endpoint, and the timed client, which posts each request straight to
 * the endpoint and through the proxy, interleaved, and reports the times to the last byte.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { percentile } from './harness.js';

const stats = (xs: number[]) => ({ p50: percentile(xs, 50), p99: percentile(xs, 99) });

function sseBody(events: number): string {
  const out = [
    `event: message_start\ndata: {"type":"message_start","message":{"id":"m","model":"x","usage":{"input_tokens":1,"output_tokens":0}}}\n\n`,
  ];
  out.push(
    `event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n`,
  );
  for (let i = 0; i < events; i++) {
    out.push(
      `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"token ${i} "}}\n\n`,
    );
  }
  out.push(`event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n`);
  out.push(
    `event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":${events}}}\n\n`,
  );
  out.push(`event: message_stop\ndata: {"type":"message_stop"}\n\n`);
  return out.join('');
}

async function upstream(): Promise<{ url: string; server: Server }> {
  const stream = sseBody(200);
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url?.includes('json')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id":"m","model":"x","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      /* written in pieces, as a model streams */
      for (let i = 0; i < stream.length; i += 512) res.write(stream.slice(i, i + 512));
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function timedPost(port: number, path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(Number(process.hrtime.bigint() - t0)));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const REQUEST = JSON.stringify({
  model: 'claude-x',
  stream: true,
  tools: [{ name: 'Bash' }],
  messages: [{ role: 'user', content: [{ type: 'text', text: 'x'.repeat(20000) }] }],
});

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('llm-agent runs as a worker of bench/applayer.ts');
  const n = (workerData as { n: number }).n;
  const up = await upstream();
  const proxied = new Promise<number>((resolve) =>
    port.once('message', (m: { proxyPort: number }) => resolve(m.proxyPort)),
  );
  port.postMessage({ upstream: up.url });
  const proxyPort = await proxied;
  const directPort = Number(new URL(up.url).port);
  const rows = [];
  for (const [op, path] of [
    ['LLM streamed (200 SSE events, 20 KB request)', '/v1/messages'],
    ['LLM JSON response', '/v1/messages?json=1'],
  ] as const) {
    const direct: number[] = [];
    const through: number[] = [];
    for (let i = 0; i < 200; i++) {
      await timedPost(proxyPort, path, REQUEST); /* warm both paths: JIT, keep-alive */
      await timedPost(directPort, path, REQUEST);
    }
    for (let i = 0; i < n; i++) {
      direct.push(await timedPost(directPort, path, REQUEST));
      through.push(await timedPost(proxyPort, path, REQUEST));
    }
    rows.push({ op, n, direct: stats(direct), proxied: stats(through) });
  }
  up.server.close();
  port.postMessage({ rows });
}

await main();
