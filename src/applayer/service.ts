/**
 * A session's application layer: answers the LLM proxy, agent hooks and MCP
 * proxies, decides tool calls under the session's policy, and records turns,
 * tool calls and alerts. One per session, in the process that owns it.
 */
import { createHash } from 'node:crypto';
import { readFileStart } from '../safe-read.js';
import type { CompiledPolicy } from '../policy/compile.js';
import { decideToolCall } from '../policy/tools.js';
import { findInstructions } from './injection.js';
import type { ProxyHooks } from './llm/hooks.js';
import type { Alert, LlmRequest, McpTool, ToolCall, ToolDecision, Turn } from '../model/records.js';
import { credentialValues, SecretScanner } from './secrets.js';
import { toolActions } from './tool-actions.js';
import type { z } from 'zod';
import { hookPhase } from '../model/hooks.js';
import type { AppProtocol, HookInput, McpCallParams, McpResultParams, McpToolDef, McpToolsParams } from '../rpc/app.js';
import type { Handlers } from '../rpc/protocol.js';

/** Who wants to hear of tool calls starting and ending (the correlator). */
export interface ToolCallListener {
  started(call: ToolCall): void;
  ended(call: ToolCall): void;
}

const RESULT_MAX = 16 * 1024;
const nowUs = (): number => Date.now() * 1000;
const clip = (s: string, n = RESULT_MAX): string => (s.length > n ? `${s.slice(0, n)}…` : s);
const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v ?? null));
/** Files whose values are worth watching for in outbound requests. */
const SECRET_FILE =
  /(^|\/)(\.env(\.[\w.-]+)?|\.npmrc|\.pypirc|credentials|[._]netrc|secrets?\.(ya?ml|json|env)|id_(rsa|dsa|ecdsa|ed25519)(_sk)?|[\w.-]+\.(pem|key))$/;

export function mcpToolName(server: string, tool: string): string {
  return `mcp__${server}__${tool}`;
}

export function toolHash(t: McpToolDef): string {
  return createHash('sha256')
    .update(JSON.stringify([t.description ?? '', t.inputSchema ?? null]))
    .digest('hex');
}

/** What the app layer keeps through its session: the store's AppRecords, or any keeper like it. */
export interface AppRecordKeeper {
  nextTurnSeq(sessionId: string): number;
  putTurns(turns: Turn[]): void;
  addAlert(a: Alert): Alert;
  /** the call as now known, merged with what other layers said of it */
  mergeToolCall(c: ToolCall): ToolCall;
  mcpTools(server?: string): McpTool[];
  putMcpTool(t: McpTool): void;
}

export interface AppLayerOptions {
  sessionId: string;
  records: AppRecordKeeper;
  policy: () => CompiledPolicy | null;
  /** the agent's working directory, for relative paths in tool arguments */
  cwd: string;
  listener?: ToolCallListener;
}

export class AppLayerService {
  readonly scanner = new SecretScanner();
  private readonly turns = new Map<number, Turn>();
  private nextSeq: number;
  private readonly watchedFiles = new Set<string>();
  /** MCP request (server:id) -> the tool call it was recorded under */
  private readonly mcpIds = new Map<string, string>();
  /** MCP tool calls the agent's hook or model announced and that have not ended: id -> name, arguments */
  private readonly openAgentCalls = new Map<string, { name: string; args: string; startedUs: number }>();

  constructor(private readonly o: AppLayerOptions) {
    this.nextSeq = o.records.nextTurnSeq(o.sessionId);
  }

  /* turns are written in batches, off the path of the requests they record */
  private readonly turnQueue = new Map<number, Turn>();
  private turnTimer: NodeJS.Timeout | undefined;

  private queueTurn(t: Turn): void {
    this.turnQueue.set(t.seq, t);
    this.turnTimer ??= setTimeout(() => this.flush(), 100);
  }

  /** Writes what is queued; the session's end calls it before reading the record. */
  flush(): void {
    clearTimeout(this.turnTimer);
    this.turnTimer = undefined;
    if (!this.turnQueue.size) return;
    const turns = [...this.turnQueue.values()];
    this.turnQueue.clear();
    this.o.records.putTurns(turns);
  }

  alert(a: Omit<Alert, 'sessionId' | 'timeUs' | 'id'> & { timeUs?: number }): Alert {
    return this.o.records.addAlert(Object.assign({ sessionId: this.o.sessionId, timeUs: nowUs() }, a));
  }

  private decide(name: string, input: unknown, cwd: string, by: string): ToolDecision {
    const t0 = process.hrtime.bigint();
    const p = this.o.policy();
    if (!p) return { verdict: 'allowed', rule: 'default', reason: 'monitor only: no policy', policy: '-', by };
    const d = decideToolCall(p, { name, input, cwd }, toolActions(name, input, cwd));
    const verdict = d.verdict === 'denied' && p.mode === 'audit' ? 'would-deny' : d.verdict;
    const latencyUs = Number((process.hrtime.bigint() - t0) / 1000n);
    return { verdict, rule: d.rule, reason: d.reason, policy: p.name, by, latencyUs };
  }

  private started(c: ToolCall): ToolCall {
    const merged = this.o.records.mergeToolCall(c);
    /* open calls an MCP proxy's or a hook's record without an id may be of */
    const mcpAwaited = c.name.startsWith('mcp__') && !c.sources.includes('mcp');
    if ((mcpAwaited || c.sources.includes('llm')) && merged.endedUs === null) {
      this.openAgentCalls.set(c.id, { name: c.name, args: canonical(c.input), startedUs: c.startedUs });
    }
    if (merged.decision?.verdict !== 'denied') this.o.listener?.started(merged);
    return merged;
  }

  private ended(c: ToolCall): ToolCall {
    this.openAgentCalls.delete(c.id);
    const merged = this.o.records.mergeToolCall(c);
    this.o.listener?.ended(merged);
    return merged;
  }

  private call(id: string, name: string, input: unknown, source: ToolCall['sources'][number]): ToolCall {
    return {
      sessionId: this.o.sessionId,
      id,
      name,
      input,
      turn: null,
      sources: [source],
      startedUs: nowUs(),
      endedUs: null,
      result: null,
      decision: null,
    };
  }

  /**
   * A Claude Code or Gemini CLI hook (before and after a tool call): the decision, and the call
   * recorded. Gemini CLI's hooks name no call: the one the model asked for with these arguments.
   */
  hook(h: HookInput): { decision: ToolDecision | null } {
    const id =
      h.tool_use_id ??
      this.agentRecordOf(h.tool_name, h.tool_input) ??
      `hook-${createHash('sha256').update(text(h.tool_input)).digest('hex').slice(0, 12)}`;
    const cwd = h.cwd ?? this.o.cwd;
    const c = this.call(id, h.tool_name, h.tool_input, 'hook');
    const phase = hookPhase(h);
    if (phase === 'before') {
      c.decision = this.decide(h.tool_name, h.tool_input, cwd, 'hook');
      if (c.decision.verdict === 'denied') c.endedUs = c.startedUs;
      this.started(c);
      return { decision: c.decision };
    }
    if (phase) {
      c.endedUs = nowUs();
      c.result = { text: clip(text(h.tool_response)), isError: phase === 'failed' };
      this.ended(c);
    }
    return { decision: null };
  }

  /** The LLM proxy's questions: what to do with a request, and the record of each exchange. */
  readonly proxyHooks: ProxyHooks = {
    request: (r) => {
      /* only model calls are turns; probes and token counts are still scanned */
      const seq = r.modelCall ? this.nextSeq++ : 0;
      const t = nowUs();
      for (const res of r.parsed.toolResults) {
        if (!res.toolUseId) continue; /* a result that names no call has nothing to complete */
        const c = this.call(res.toolUseId, '', null, 'llm');
        c.endedUs = t;
        c.result = { text: res.content, isError: res.isError };
        this.ended(c);
      }
      const { value, hits } = this.scanner.redact(r.body);
      const mode = this.o.policy()?.secrets.outbound ?? 'alert';
      const action = hits.length === 0 || mode === 'alert' ? 'forwarded' : mode === 'redact' ? 'redacted' : 'blocked';
      const turn: Turn = {
        sessionId: this.o.sessionId,
        seq,
        provider: r.provider,
        path: r.path,
        startedUs: t,
        endedUs: null,
        status: null,
        /* what the body's scan found nothing in holds nothing: scanned again only when it found some */
        request: hits.length ? redactRequest(r.parsed, this.scanner) : r.parsed,
        response: null,
        secrets: hits,
        action,
        latencyUs: null,
      };
      if (seq) {
        this.turns.set(seq, turn);
        this.queueTurn(turn);
      }
      if (hits.length) {
        this.alert({
          detector: 'llm.secret-in-request',
          severity: 'high',
          message: `a request to ${r.provider} carried ${hits.length} secret(s) (${[...new Set(hits.map((h) => h.kind))].join(', ')}): ${action}`,
          toolCallId: null,
          eventIds: [],
          data: { turn: seq, secrets: hits, action },
        });
      }
      const reason = `Warden refused this request: it carries ${hits.map((h) => h.kind).join(', ')} (policy secrets.outbound: block)`;
      return {
        seq,
        action,
        ...(action === 'redacted' ? { body: value } : {}),
        ...(action === 'blocked' ? { reason } : {}),
      };
    },
    toolUse: (seq, u) => {
      const c = this.call(u.id, u.name, u.input, 'llm');
      c.turn = seq || null;
      this.started(c);
    },
    done: (r) => {
      const turn = this.turns.get(r.seq);
      if (!turn) return;
      this.turns.delete(r.seq);
      const t = nowUs();
      Object.assign(turn, { endedUs: t, status: r.status, response: r.response, latencyUs: r.latencyUs });
      this.queueTurn(turn);
      for (const u of r.response?.toolUses ?? []) {
        const c = this.call(u.id, u.name, u.input, 'llm');
        c.turn = r.seq;
        c.startedUs = t;
        this.started(c);
      }
    },
  };

  /** A file the agent opened: if it holds secrets, their values are watched for in outbound requests. */
  noteOpened(path: string): void {
    if (!SECRET_FILE.test(path) || this.watchedFiles.has(path)) return;
    this.watchedFiles.add(path);
    const text = readFileStart(path, 1 << 20); /* gone, unreadable or not a regular file: nothing to watch */
    if (text !== undefined) this.scanner.addKnownValues(credentialValues(path, text));
  }

  /** `tools/list` from an MCP server: pins each definition; changed ones stay blocked until approved. */
  mcpTools({ server, tools }: z.output<typeof McpToolsParams>): { blocked: Record<string, string> } {
    const pins = new Map(this.o.records.mcpTools(server).map((t) => [t.tool, t]));
    const blocked: Record<string, string> = {};
    for (const t of tools) {
      const hash = toolHash(t);
      const description = t.description ?? '';
      const pin = pins.get(t.name);
      const tells = findInstructions(`${description}\n${JSON.stringify(t.inputSchema ?? '')}`);
      if (tells.length && pin?.hash !== hash && pin?.pendingHash !== hash) {
        this.alert({
          detector: 'mcp.tool-poisoning',
          severity: 'high',
          message: `MCP tool ${mcpToolName(server, t.name)} has instruction-like text in its definition: ${tells.map((x) => x.id).join(', ')}`,
          toolCallId: null,
          eventIds: [],
          data: { server, tool: t.name, tells },
        });
      }
      if (!pin) {
        this.o.records.putMcpTool({
          server,
          tool: t.name,
          hash,
          description,
          pendingHash: null,
          pendingDescription: null,
          firstSeenUs: nowUs(),
          changedUs: null,
        });
      } else if (pin.hash !== hash) {
        blocked[t.name] =
          `the definition of ${t.name} changed since it was approved; ` +
          `review it, then: warden mcp approve --server ${server} ${t.name}`;
        if (pin.pendingHash !== hash) {
          this.o.records.putMcpTool({ ...pin, pendingHash: hash, pendingDescription: description, changedUs: nowUs() });
          this.alert({
            detector: 'mcp.rug-pull',
            severity: 'high',
            message: `MCP tool ${mcpToolName(server, t.name)} changed its definition after approval; blocked until approved`,
            toolCallId: null,
            eventIds: [],
            data: { server, tool: t.name, approved: pin.description, now: description },
          });
        }
      }
    }
    return { blocked };
  }

  /** An open call the agent recorded (hook or model) with this tool name and these arguments, in the last 30 s. */
  private agentRecordOf(name: string, args: unknown): string | undefined {
    const since = nowUs() - 30e6;
    const want = canonical(args);
    for (const [id, c] of this.openAgentCalls) {
      if (c.startedUs < since) this.openAgentCalls.delete(id);
      else if (c.name === name && c.args === want) return id;
    }
    return undefined;
  }

  /** `tools/call` through an MCP proxy: the decision, and the call recorded. */
  mcpCall(p: z.output<typeof McpCallParams>): { decision: ToolDecision } {
    const name = mcpToolName(p.server, p.tool);
    /* the agent's own record of this call (its hook, the model's tool_use), if there is one: one call, seen twice */
    const id = this.agentRecordOf(name, p.args) ?? `mcp:${p.server}:${p.id}`;
    this.mcpIds.set(`${p.server}:${p.id}`, id);
    const c = this.call(id, name, p.args, 'mcp');
    c.decision = p.blocked
      ? {
          verdict: 'denied',
          rule: 'mcp.pinned-definition',
          reason: p.blocked,
          policy: this.o.policy()?.name ?? '-',
          by: 'mcp-proxy',
        }
      : this.decide(name, p.args, this.o.cwd, 'mcp-proxy');
    if (c.decision.verdict === 'denied') c.endedUs = c.startedUs;
    this.started(c);
    return { decision: c.decision };
  }

  /** An MCP tool result: recorded, and scanned for instructions aimed at the model. */
  mcpResult(p: z.output<typeof McpResultParams>): { tells: string[] } {
    const id = this.mcpIds.get(`${p.server}:${p.id}`) ?? `mcp:${p.server}:${p.id}`;
    this.mcpIds.delete(`${p.server}:${p.id}`);
    const c = this.call(id, '', null, 'mcp');
    c.endedUs = nowUs();
    c.result = { text: clip(p.text), isError: p.isError };
    const merged = this.ended(c);
    const tells = findInstructions(p.text);
    if (tells.length) {
      this.alert({
        detector: 'mcp.injection',
        severity: 'medium',
        message: `the result of ${merged.name || p.id} holds instruction-like text: ${tells.map((x) => x.id).join(', ')}`,
        toolCallId: merged.id,
        eventIds: [],
        data: { server: p.server, tells },
      });
    }
    return { tells: tells.map((x) => x.id) };
  }

  /** What the session's socket serves (rpc/app.ts), each given its parameters parsed. */
  readonly handlers: Handlers<AppProtocol, unknown> = {
    hook: (p) => this.hook(p),
    'mcp.tools': (p) => this.mcpTools(p),
    'mcp.call': (p) => this.mcpCall(p),
    'mcp.result': (p) => this.mcpResult(p),
  };
}

/** JSON with sorted keys: the same arguments compare equal whatever their key order. */
function canonical(v: unknown): string {
  return JSON.stringify(v ?? null, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : x,
  );
}

/** The record of a request never keeps a secret it carried. */
function redactRequest(r: LlmRequest, scanner: SecretScanner): LlmRequest {
  const { value } = scanner.redact(r);
  return value as LlmRequest;
}
