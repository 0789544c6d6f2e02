/**
 * The MCP proxy's judgement, independent of transport: each JSON-RPC message
 * from the client (the agent) or the server passes through here. Tool
 * listings are pinned and changed tools hidden; tool calls are decided before
 * they reach the server; results are recorded and scanned. When Warden
 * cannot be asked, calls are refused: the proxy fails closed.
 */
import type { ToolDecision } from '../../model/records.js';
import type { AppProtocol } from '../../rpc/app.js';
import type { Call } from '../../rpc/protocol.js';

/** How the proxy asks its session: over the session's socket, or in the process that runs it. */
export type Ask = Call<AppProtocol>;
type Id = string | number;
type Message = {
  jsonrpc?: string;
  id?: Id | null;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: unknown;
};

/** What to do with one message: pass it on (possibly changed), and/or answer its sender. */
export interface Verdict {
  forward?: string;
  reply?: string;
}

const rpcError = (id: Id | null, code: number, message: string): string =>
  JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } });

const isId = (v: unknown): v is Id => typeof v === 'string' || typeof v === 'number';

/** Best effort: the id of a message too large or too broken to parse. */
export function sniffId(text: string): Id | null {
  const m = /"id"\s*:\s*("(?:[^"\\]|\\.){0,200}"|-?\d{1,18})/.exec(text.slice(0, 4096));
  if (!m?.[1]) return null;
  try {
    return JSON.parse(m[1]) as Id;
  } catch {
    return null;
  }
}

function resultText(result: unknown): { text: string; isError: boolean } {
  const r = (result ?? {}) as { content?: unknown; isError?: unknown; structuredContent?: unknown };
  const parts = Array.isArray(r.content) ? r.content : [];
  const text = parts
    .map((p: unknown) => {
      const q = (p ?? {}) as { type?: unknown; text?: unknown; resource?: { text?: unknown } };
      if (typeof q.text === 'string') return q.text;
      if (typeof q.resource?.text === 'string') return q.resource.text;
      return '';
    })
    .join('\n');
  return { text: text || JSON.stringify(r.structuredContent ?? result ?? null), isError: r.isError === true };
}

export class McpInterceptor {
  /** requests from the client awaiting the server's answer */
  private readonly pending = new Map<string, { method: string; tool?: string }>();
  /** tools whose definition changed since approval: name -> why */
  private blocked = new Map<string, string>();
  readonly maxMessageBytes: number;

  constructor(
    readonly server: string,
    private readonly ask: Ask,
    opts: { maxMessageBytes?: number } = {},
  ) {
    this.maxMessageBytes = opts.maxMessageBytes ?? 4 << 20;
  }

  /** A message from the client (the agent). */
  async fromClient(text: string): Promise<Verdict> {
    if (text.length > this.maxMessageBytes) {
      return { reply: rpcError(sniffId(text), -32600, `Warden: message of ${text.length} bytes is over the limit`) };
    }
    let m: Message;
    try {
      m = JSON.parse(text) as Message;
    } catch {
      return { reply: rpcError(null, -32700, 'Warden: parse error: the message is not JSON') };
    }
    if (Array.isArray(m)) return { reply: rpcError(null, -32600, 'Warden: JSON-RPC batches are not passed through') };
    if (typeof m !== 'object' || m === null) return { reply: rpcError(null, -32600, 'Warden: not a JSON-RPC message') };
    if (typeof m.method !== 'string' || !isId(m.id)) return { forward: text }; /* notifications, responses */
    if (m.method === 'tools/call') return this.toolCall(m, text);
    this.pending.set(String(m.id), { method: m.method });
    return { forward: text };
  }

  private async toolCall(m: Message, text: string): Promise<Verdict> {
    const id = m.id as Id;
    const p = (m.params ?? {}) as { name?: unknown; arguments?: unknown };
    if (typeof p.name !== 'string') return { reply: rpcError(id, -32602, 'Warden: tools/call without a tool name') };
    let decision: ToolDecision;
    try {
      const blocked = this.blocked.get(p.name);
      const answer = await this.ask('mcp.call', {
        server: this.server,
        tool: p.name,
        args: p.arguments ?? {},
        id: String(id),
        ...(blocked ? { blocked } : {}),
      });
      decision = answer.decision;
    } catch (e) {
      return {
        reply: this.refusal(id, `Warden could not decide this call, so it is refused: ${(e as Error).message}`),
      };
    }
    if (decision.verdict === 'denied') {
      return { reply: this.refusal(id, `Warden denied ${p.name}: ${decision.reason} (rule ${decision.rule})`) };
    }
    this.pending.set(String(id), { method: 'tools/call', tool: p.name });
    return { forward: text };
  }

  /** A refused call answers as a tool error, so the model reads why. */
  private refusal(id: Id, message: string): string {
    return JSON.stringify({
      jsonrpc: '2.0',
      id,
      result: { content: [{ type: 'text', text: message }], isError: true },
    });
  }

  /** A message from the server. */
  async fromServer(text: string): Promise<Verdict> {
    if (text.length > this.maxMessageBytes) {
      const id = sniffId(text);
      if (id !== null) this.pending.delete(String(id));
      return {
        forward: rpcError(id, -32603, `Warden: the server's message of ${text.length} bytes is over the limit`),
      };
    }
    let m: Message;
    try {
      m = JSON.parse(text) as Message;
    } catch {
      return {}; /* garbage from the server never reaches the agent */
    }
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return {};
    if (!isId(m.id) || typeof m.method === 'string') return { forward: text }; /* the server's own requests */
    const req = this.pending.get(String(m.id));
    this.pending.delete(String(m.id));
    if (req?.method === 'tools/list' && m.result) return this.toolList(m, text);
    if (req?.method === 'tools/call') {
      const r = m.error ? { text: JSON.stringify(m.error), isError: true } : resultText(m.result);
      await this.ask('mcp.result', { server: this.server, id: String(m.id), ...r }).catch(() => undefined);
    }
    return { forward: text };
  }

  private async toolList(m: Message, text: string): Promise<Verdict> {
    const result = m.result as { tools?: unknown };
    const tools = Array.isArray(result.tools) ? (result.tools as Array<Record<string, unknown>>) : [];
    const defs = tools
      .filter((t) => typeof t?.name === 'string')
      .map((t) => ({
        name: t.name as string,
        ...(typeof t.description === 'string' ? { description: t.description } : {}),
        inputSchema: t.inputSchema ?? null,
      }));
    let blocked: Record<string, string>;
    try {
      blocked = (await this.ask('mcp.tools', { server: this.server, tools: defs })).blocked;
    } catch (e) {
      return {
        forward: rpcError(m.id as Id, -32603, `Warden could not check this server's tools: ${(e as Error).message}`),
      };
    }
    this.blocked = new Map(Object.entries(blocked));
    if (!this.blocked.size) return { forward: text };
    /* a tool whose definition changed is withheld: its new text never reaches the model */
    const kept = tools.filter((t) => !this.blocked.has(String(t?.name)));
    return { forward: JSON.stringify({ ...m, result: { ...result, tools: kept } }) };
  }
}
