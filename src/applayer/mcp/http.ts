/**
 * The streamable-HTTP transport: a local endpoint the agent is pointed at,
 * forwarding to a remote MCP server. Every JSON-RPC message in a request,
 * a JSON response or an SSE stream passes through the interceptor, as on stdio.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SseParser } from '../llm/sse.js';
import type { McpInterceptor } from './interceptor.js';

const PASSED_REQUEST_HEADERS = [
  'content-type',
  'accept',
  'authorization',
  'mcp-session-id',
  'mcp-protocol-version',
  'last-event-id',
];
const PASSED_RESPONSE_HEADERS = ['content-type', 'mcp-session-id', 'cache-control'];

function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
    });
    req.on('end', () => resolve(size > limit ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(null));
  });
}

function json(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body);
}

async function relay(interceptor: McpInterceptor, up: Response, res: ServerResponse): Promise<void> {
  const headers: Record<string, string> = {};
  for (const h of PASSED_RESPONSE_HEADERS) {
    const v = up.headers.get(h);
    if (v) headers[h] = v;
  }
  const type = up.headers.get('content-type') ?? '';
  if (!up.body || up.status === 202) {
    res.writeHead(up.status, headers);
    res.end();
    return;
  }
  if (type.includes('text/event-stream')) {
    res.writeHead(up.status, headers);
    const sse = new SseParser({ maxEventBytes: interceptor.maxMessageBytes });
    const emit = async (data: string): Promise<void> => {
      const v = await interceptor.fromServer(data);
      if (v.forward !== undefined) res.write(`event: message\ndata: ${v.forward}\n\n`);
    };
    try {
      for await (const chunk of up.body) for (const e of sse.push(chunk as Uint8Array)) await emit(e.data);
      for (const e of sse.end().events) await emit(e.data);
    } catch {
      /* the remote stream broke: end ours */
    }
    res.end();
    return;
  }
  const text = await up.text();
  if (!up.ok || !type.includes('json')) {
    res.writeHead(up.status, headers);
    res.end(text);
    return;
  }
  const v = await interceptor.fromServer(text);
  res.writeHead(up.status, headers);
  res.end(v.forward ?? '');
}

async function handle(
  interceptor: McpInterceptor,
  remote: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const headers: Record<string, string> = {};
  for (const h of PASSED_REQUEST_HEADERS) {
    const v = req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  let body: string | undefined;
  if (req.method === 'POST') {
    const text = await readBody(req, interceptor.maxMessageBytes);
    if (text === null)
      return json(
        res,
        413,
        '{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Warden: message over the limit"}}',
      );
    const v = await interceptor.fromClient(text);
    if (v.reply !== undefined) return json(res, 200, v.reply);
    body = v.forward;
  }
  let up: Response;
  try {
    up = await fetch(remote, { method: req.method ?? 'GET', headers, ...(body !== undefined ? { body } : {}) });
  } catch (e) {
    return json(
      res,
      502,
      JSON.stringify({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32603, message: `Warden could not reach ${remote.origin}: ${(e as Error).message}` },
      }),
    );
  }
  await relay(interceptor, up, res);
}

/** Serves the proxy on loopback; resolves once listening, with the port. */
export async function serveMcpHttp(
  interceptor: McpInterceptor,
  remote: URL,
  listen: { host: string; port: number },
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    handle(interceptor, remote, req, res).catch((e: unknown) => {
      if (!res.headersSent)
        json(res, 500, JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32603, message: String(e) } }));
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
