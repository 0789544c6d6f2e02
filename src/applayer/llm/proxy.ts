/**
 * The LLM API proxy: the agent's model traffic goes through it (`warden run`
 * points ANTHROPIC_BASE_URL, OPENAI_BASE_URL and friends here). Requests are
 * scanned for secrets and forwarded; responses stream back chunk by chunk as
 * they arrive while a copy is reassembled into the turn's text and tool calls.
 */
import { createServer, request as httpRequest, Agent as HttpAgent, type IncomingMessage, type Server } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { rootCertificates } from 'node:tls';
import type { ServerResponse } from 'node:http';
import { anthropic } from './providers/anthropic.js';
import { PROVIDERS, type ProviderAdapter, type Upstreams } from './providers/index.js';
import { SseParser } from './sse.js';
import type { Duplex } from 'node:stream';
import { WebSocketRelay } from './websocket.js';
import type { ResponseAssembler } from './turn.js';
import type { LlmRequest, LlmResponse } from '../../model/records.js';
import type { ProxyHooks } from './hooks.js';
import type { ExtraRoute } from '../agents.js';

/** Where each provider's traffic enters the proxy. Anthropic's API is served at the root. */
export const PREFIX = Object.fromEntries(PROVIDERS.filter((p) => p.prefix).map((p) => [p.id, p.prefix])) as Record<
  'openai' | 'gemini',
  string
>;

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'accept-encoding',
]);

const EMPTY_REQUEST: LlmRequest = {
  model: null,
  stream: false,
  messageCount: 0,
  lastUserText: '',
  toolResults: [],
  hasTools: false,
};

export interface ProxyOptions {
  upstreams: Upstreams;
  hooks: ProxyHooks;
  /** larger request bodies are refused with 413 (default 32 MiB) */
  maxRequestBytes?: number;
  /** responses are always relayed whole; only this much is kept for the record (default 8 MiB) */
  maxRecordBytes?: number;
  /** extra CA certificates (PEM) to trust for HTTPS upstreams, besides the system's and NODE_EXTRA_CA_CERTS */
  ca?: string;
}

function route(
  url: string,
  up: Upstreams,
  extra: readonly ExtraRoute[] = [],
): { provider: ProviderAdapter; target: URL; path: string } {
  /* the providers the agent's own configuration names (agents.ts) first, then those under a prefix */
  const routes = [
    ...extra.map((r) => ({ prefix: r.prefix, upstream: r.upstream, provider: r.provider })),
    ...PROVIDERS.filter((p) => p.prefix).map((p) => ({ prefix: p.prefix, upstream: up[p.id], provider: p.id })),
  ];
  for (const r of routes) {
    if (url !== r.prefix && !url.startsWith(`${r.prefix}/`)) continue;
    const rest = url.slice(r.prefix.length);
    const provider = PROVIDERS.find((p) => p.id === r.provider) ?? anthropic;
    return { provider, target: join(r.upstream, rest), path: rest.split('?')[0] ?? rest };
  }
  /* Anthropic's API lives under /v1; clients made for a base URL that holds it (the AI SDK's, as in
   * opencode) send `/messages` to a base without it */
  const rooted = ANTHROPIC_BARE.test(url) ? `/v1${url}` : url;
  return { provider: anthropic, target: join(up.anthropic, rooted), path: rooted.split('?')[0] ?? rooted };
}
const ANTHROPIC_BARE = /^\/(messages|models|complete)(\/|\?|$)/;

function join(base: string, rest: string): URL {
  const b = new URL(base);
  const [path, query] = rest.split('?', 2);
  b.pathname = `${b.pathname.replace(/\/$/, '')}${path ?? ''}`;
  if (query !== undefined) b.search = `?${query}`;
  return b;
}

export class LlmProxy {
  private server: Server | undefined;
  private readonly agents: { http: HttpAgent; https: HttpsAgent };
  private readonly maxRequest: number;
  private readonly maxRecord: number;
  private readonly ws: WebSocketRelay;
  private extra: ExtraRoute[] = [];

  constructor(private readonly opts: ProxyOptions) {
    const ca = opts.ca ? [...rootCertificates, opts.ca] : undefined;
    this.agents = {
      http: new HttpAgent({ keepAlive: true }),
      https: new HttpsAgent({ keepAlive: true, ...(ca ? { ca } : {}) }),
    };
    this.ws = new WebSocketRelay(opts.hooks);
    this.maxRequest = opts.maxRequestBytes ?? 32 << 20;
    this.maxRecord = opts.maxRecordBytes ?? 8 << 20;
  }

  /** Serves these routes too (providers the agent's configuration names; agents.ts). */
  addRoutes(routes: readonly ExtraRoute[]): void {
    this.extra = [...this.extra, ...routes];
  }

  /** Listens on loopback; resolves to the port. */
  async listen(host = '127.0.0.1', port = 0): Promise<number> {
    const server = createServer((req, res) => this.handle(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const { provider, target, path } = route(req.url ?? '/', this.opts.upstreams, this.extra);
      this.ws.upgrade(req, socket, head, provider.id, path, target);
    });
    server.keepAliveTimeout = 60_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.ws.close();
    this.agents.http.destroy();
    this.agents.https.destroy();
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const { provider, target, path } = route(req.url ?? '/', this.opts.upstreams, this.extra);
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > this.maxRequest) {
        if (!refused) this.refuseOversized(provider, path, res, size);
        refused = true;
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      if (!refused) this.forward(req, res, provider, target, path, Buffer.concat(chunks));
    });
  }

  private refuseOversized(provider: ProviderAdapter, path: string, res: ServerResponse, size: number): void {
    const modelCall = provider.assembler(path, EMPTY_REQUEST) !== undefined;
    const { seq } = this.opts.hooks.request({
      provider: provider.id,
      path,
      modelCall,
      parsed: EMPTY_REQUEST,
      body: null,
    });
    const message = `Warden refused a request of more than ${this.maxRequest} bytes (${size} so far)`;
    res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
    res.end(provider.errorBody(413, message));
    this.opts.hooks.done({ seq, status: 413, response: null, latencyUs: null });
  }

  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    provider: ProviderAdapter,
    target: URL,
    path: string,
    raw: Buffer,
  ): void {
    const t0 = process.hrtime.bigint();
    let body: unknown = null;
    const isJson = raw.length > 0 && /json/i.test(req.headers['content-type'] ?? 'application/json');
    if (isJson) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = raw.toString('utf8'); /* not JSON after all: still scanned as text */
      }
    } else if (raw.length) body = raw.toString('utf8');
    const parsed = typeof body === 'object' && body !== null ? provider.parseRequest(path, body) : EMPTY_REQUEST;
    const assembler = provider.assembler(path, parsed);
    const verdict = this.opts.hooks.request({
      provider: provider.id,
      path,
      modelCall: assembler !== undefined,
      parsed,
      body,
    });
    if (verdict.action === 'blocked') {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(provider.errorBody(403, verdict.reason ?? 'Warden refused this request'));
      this.opts.hooks.done({ seq: verdict.seq, status: 403, response: null, latencyUs: null });
      return;
    }
    const out =
      verdict.action === 'redacted'
        ? Buffer.from(typeof verdict.body === 'string' ? verdict.body : JSON.stringify(verdict.body))
        : raw;
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    headers['accept-encoding'] = 'identity'; /* the copy we keep must be readable */
    if (out.length || req.method === 'POST' || req.method === 'PUT') headers['content-length'] = String(out.length);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const agent = target.protocol === 'https:' ? this.agents.https : this.agents.http;
    const up = send(target, { method: req.method, headers, agent });
    const latencyUs = Number((process.hrtime.bigint() - t0) / 1000n);
    if (assembler) assembler.onToolUse = (u) => this.opts.hooks.toolUse?.(verdict.seq, u);
    up.on('response', (ur) => this.relay(ur, res, verdict.seq, assembler, latencyUs));
    up.on('error', (e) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(provider.errorBody(502, `Warden could not reach ${target.origin}: ${e.message}`));
      } else res.destroy();
      this.opts.hooks.done({ seq: verdict.seq, status: 502, response: null, latencyUs });
    });
    res.on('close', () => {
      if (!res.writableFinished) up.destroy(); /* the agent hung up: so do we */
    });
    up.end(out);
  }

  private relay(
    ur: IncomingMessage,
    res: ServerResponse,
    seq: number,
    assembler: ResponseAssembler | undefined,
    latencyUs: number,
  ): void {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(ur.headers)) {
      if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    }
    if (ur.headers['content-length']) headers['content-length'] = ur.headers['content-length'];
    res.writeHead(ur.statusCode ?? 502, headers);
    const sse = /text\/event-stream/i.test(ur.headers['content-type'] ?? '') ? new SseParser() : undefined;
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let recordTruncated = false;
    /* the agent's bytes first: the chunks that come in one turn of the loop go out in one write,
     * and the copy is read after them (in a tool call's case well before the agent can act on it) */
    let corked = false;
    let unread: Buffer[] = [];
    const read = (): void => {
      const chunks = unread;
      unread = [];
      for (const c of chunks) {
        if (sse) {
          for (const e of sse.push(c)) assembler?.event(e);
        } else if (keptBytes + c.length <= this.maxRecord) {
          kept.push(c);
          keptBytes += c.length;
        } else recordTruncated = true;
      }
    };
    ur.on('data', (c: Buffer) => {
      if (!corked) {
        corked = true;
        res.cork();
        process.nextTick(() => {
          corked = false;
          res.uncork();
        });
      }
      res.write(c);
      if (!assembler) return;
      if (!unread.length) setImmediate(read);
      unread.push(c);
    });
    let finished = false;
    const finish = (complete: boolean): void => {
      if (finished) return;
      finished = true;
      read();
      let response: LlmResponse | null = null;
      if (assembler) {
        let cut = !complete || recordTruncated;
        if (sse) {
          const tail = sse.end();
          for (const e of tail.events) assembler.event(e);
          cut ||= tail.truncated;
        } else if (kept.length) {
          try {
            assembler.json(JSON.parse(Buffer.concat(kept).toString('utf8')));
          } catch {
            cut = true;
          }
        }
        response = assembler.finish(cut);
      }
      this.opts.hooks.done({ seq, status: ur.statusCode ?? null, response, latencyUs });
    };
    ur.on('end', () => {
      res.end();
      /* recorded once the agent has its last byte */
      setImmediate(() => finish(true));
    });
    ur.on('error', () => {
      res.destroy();
      finish(false);
    });
    ur.on('close', () => finish(ur.complete));
  }
}
