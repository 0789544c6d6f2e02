/**
 * The Responses API over WebSocket (Codex opens one before falling back to
 * HTTP): relayed message by message to the provider, each `response.create`
 * scanned and recorded as a turn like an HTTP request, each server event fed
 * to the same reassembly. If the provider refuses the upgrade, so do we, and
 * the agent falls back to HTTP through the proxy.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { OpenAiResponsesAssembler, parseOpenAiRequest } from './providers/openai.js';
import type { SseEvent } from './sse.js';
import type { LlmRequest } from '../../model/records.js';
import type { Provider, ProxyHooks } from './hooks.js';

const PASSED = [
  'authorization',
  'openai-beta',
  'openai-organization',
  'openai-project',
  'user-agent',
  'originator',
  'session_id',
  'chatgpt-account-id',
];
const DONE = new Set(['response.completed', 'response.incomplete', 'response.failed']);

const text = (d: RawData): string =>
  (Array.isArray(d) ? Buffer.concat(d) : Buffer.from(d as ArrayBuffer)).toString('utf8');

/** A text message from the agent: its body (JSON, or the text itself), and the request a `response.create` makes. */
export function readClientMessage(raw: string): { body: unknown; modelCall: boolean; parsed: LlmRequest } {
  let body: unknown = raw;
  try {
    body = JSON.parse(raw);
  } catch {
    /* not JSON: scanned as text */
  }
  const msg = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const modelCall = msg.type === 'response.create';
  const request = modelCall ? ((msg.response as unknown) ?? msg) : msg;
  return { body, modelCall, parsed: parseOpenAiRequest(request) };
}

/** A text message from the provider, as the stream event it carries; undefined when it is not JSON. */
export function readServerMessage(raw: string): SseEvent | undefined {
  try {
    const m = JSON.parse(raw) as { type?: unknown } | null;
    return { event: String(m?.type ?? ''), data: raw };
  } catch {
    return undefined;
  }
}

export class WebSocketRelay {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 32 << 20 });

  constructor(private readonly hooks: ProxyHooks) {}

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, provider: Provider, path: string, target: URL): void {
    socket.on('error', () => undefined);
    const url = new URL(target.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const headers: Record<string, string> = {};
    for (const h of PASSED) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h];
    const upstream = new WebSocket(url, { headers, perMessageDeflate: false });
    const refuse = (status: number): void => {
      socket.end(
        `HTTP/1.1 ${status} ${status === 502 ? 'Bad Gateway' : 'Refused'}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`,
      );
    };
    /* the provider answered but would not upgrade: say so without a success status */
    upstream.once('unexpected-response', (_req, res) =>
      refuse((res.statusCode ?? 502) < 400 ? 502 : (res.statusCode ?? 502)),
    );
    upstream.once('error', () => refuse(502));
    upstream.once('open', () => {
      this.wss.handleUpgrade(req, socket, head, (client) => this.relay(client, upstream, provider, path));
    });
  }

  private relay(client: WebSocket, upstream: WebSocket, provider: Provider, path: string): void {
    let turn: { seq: number; assembler: OpenAiResponsesAssembler } | undefined;
    const finish = (cut: boolean): void => {
      if (!turn) return;
      this.hooks.done({
        seq: turn.seq,
        status: cut ? null : 200,
        response: turn.assembler.finish(cut),
        latencyUs: null,
      });
      turn = undefined;
    };
    client.on('message', (data, isBinary) => {
      if (isBinary) return void upstream.send(data, { binary: true });
      const raw = text(data);
      const { body, modelCall, parsed } = readClientMessage(raw);
      const verdict = this.hooks.request({ provider, path, modelCall, parsed, body });
      if (verdict.action === 'blocked') {
        client.send(
          JSON.stringify({
            type: 'error',
            error: { type: 'warden_refused', message: verdict.reason ?? 'refused by Warden' },
          }),
        );
        this.hooks.done({ seq: verdict.seq, status: 403, response: null, latencyUs: null });
        return;
      }
      if (verdict.seq) {
        finish(true);
        const assembler = new OpenAiResponsesAssembler();
        const seq = verdict.seq;
        assembler.onToolUse = (u) => this.hooks.toolUse?.(seq, u);
        turn = { seq, assembler };
      }
      upstream.send(verdict.action === 'redacted' ? JSON.stringify(verdict.body) : raw);
    });
    upstream.on('message', (data, isBinary) => {
      client.send(data, { binary: isBinary });
      if (isBinary || !turn) return;
      const event = readServerMessage(text(data));
      if (!event) return;
      turn.assembler.event(event);
      if (DONE.has(event.event)) finish(false);
    });
    const closeBoth = (): void => {
      finish(true);
      if (client.readyState === WebSocket.OPEN) client.close();
      if (upstream.readyState === WebSocket.OPEN) upstream.close();
    };
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
  }

  close(): void {
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
  }
}
