/**
 * Every decoder an agent or a remote can shape, as a fuzz target (engine.ts).
 * Each says which errors are its honest refusal of bad input; anything else
 * it throws, or a hang, is a finding.
 */
import { AnthropicAssembler, parseAnthropicRequest } from '../../src/applayer/llm/providers/anthropic.js';
import { GeminiAssembler, parseGeminiRequest } from '../../src/applayer/llm/providers/gemini.js';
import {
  OpenAiChatAssembler,
  OpenAiResponsesAssembler,
  parseOpenAiRequest,
} from '../../src/applayer/llm/providers/openai.js';
import { SseParser } from '../../src/applayer/llm/sse.js';
import { parseJson, type ResponseAssembler } from '../../src/applayer/llm/turn.js';
import { readClientMessage, readServerMessage } from '../../src/applayer/llm/websocket.js';
import { McpInterceptor, type Ask } from '../../src/applayer/mcp/interceptor.js';
import { toolActions } from '../../src/applayer/tool-actions.js';
import { addresses, decideName, rcodeOf, readQuery, refuse, servfail } from '../../src/enforce/dns.js';
import { compileGate } from '../../src/enforce/gate.js';
import { DEFAULT_POLICY, policyPath } from '../../src/policy/builtin.js';
import { compilePolicy, type CompiledPolicy } from '../../src/policy/compile.js';
import { convertSrt, toYaml } from '../../src/policy/import-srt.js';
import { loadPolicy, parsePolicy, PolicyError } from '../../src/policy/load.js';
import { decideToolCall } from '../../src/policy/tools.js';
import { decodeFrame, FrameSplitter, WireError } from '../../src/sensor/wire.js';
import { ZodError } from 'zod';
import { ROOT } from '../helpers.js';
import type { FuzzTarget } from './engine.js';

const text = (d: Uint8Array): string => Buffer.from(d).toString('utf8');

/** The input as a stream: its first byte sets the chunk sizes, the rest is the body. */
function chunks(d: Uint8Array): Uint8Array[] {
  const size = 1 + ((d[0] ?? 0) % 29);
  const body = d.subarray(1);
  const out: Uint8Array[] = [];
  for (let i = 0, n = size; i < body.length; i += n, n = 1 + ((n * 7 + 3) % 41)) out.push(body.subarray(i, i + n));
  return out;
}

let defaultPolicy: CompiledPolicy | undefined;
const policy = (): CompiledPolicy =>
  (defaultPolicy ??= compilePolicy(loadPolicy(policyPath(ROOT, DEFAULT_POLICY)), { workspace: '/work/ws' }));

/** A stream through the SSE parser into an assembler, then the same bytes as one JSON body. */
function assemble(make: () => ResponseAssembler, d: Uint8Array): void {
  const streamed = make();
  const parser = new SseParser({ maxEventBytes: 1 << 16 });
  for (const c of chunks(d)) for (const e of parser.push(c)) streamed.event(e);
  for (const e of parser.push(new Uint8Array(0))) streamed.event(e);
  streamed.finish((d[0] ?? 0) % 2 === 0);
  const whole = make();
  whole.json(parseJson(text(d.subarray(1))));
  whole.finish(false);
}

const wireError = (e: unknown): boolean => e instanceof WireError;

/** A model provider's proxy path: the input as its request body, then as its response, streamed and whole. */
function provider(
  name: string,
  api: string,
  parseRequest: (body: unknown) => unknown,
  make: (d: Uint8Array) => ResponseAssembler,
): FuzzTarget {
  return {
    name,
    input: `${api} request body, then the same bytes as a streamed and a whole response`,
    json: true,
    run: (d) => {
      parseRequest(parseJson(text(d)));
      assemble(() => make(d), d);
    },
  };
}

export const TARGETS: FuzzTarget[] = [
  {
    name: 'wire-frame',
    input: 'one frame from the sensor (wire.h)',
    run: (d) => void decodeFrame(d),
    allowed: wireError,
  },
  {
    name: 'wire-stream',
    input: "the sensor's stdout, in chunks",
    run: (d) => {
      const s = new FrameSplitter();
      for (const c of chunks(d))
        for (const f of s.push(Buffer.from(c))) {
          try {
            decodeFrame(f);
          } catch (e) {
            if (!wireError(e)) throw e;
          }
        }
    },
    allowed: wireError,
  },
  {
    name: 'policy',
    input: 'a policy file (YAML); one policy check accepts must compile, gate rules included',
    run: (d) => {
      let parsed;
      try {
        parsed = parsePolicy(text(d), 'fuzz.yaml');
      } catch (e) {
        if (e instanceof PolicyError) return;
        throw e;
      }
      const compiled = compilePolicy(parsed, { workspace: '/work/ws' });
      compileGate(compiled, { write: ['/opt/warden'], read: ['/opt/warden/state/api.token'] });
    },
  },
  {
    name: 'sse',
    input: 'a server-sent event stream, in chunks',
    run: (d) => {
      const p = new SseParser({ maxEventBytes: 1 << 12 });
      for (const c of chunks(d)) p.push(c);
      p.push(text(d));
      p.push(new Uint8Array(0));
    },
  },
  provider('anthropic', 'a Messages API', parseAnthropicRequest, () => new AnthropicAssembler()),
  provider('openai-chat', 'a Chat Completions', parseOpenAiRequest, () => new OpenAiChatAssembler()),
  provider('openai-responses', 'a Responses API', parseOpenAiRequest, () => new OpenAiResponsesAssembler()),
  provider(
    'gemini',
    'a generateContent',
    (body) => parseGeminiRequest(body, '/v1beta/models/gemini-2.5-pro:streamGenerateContent'),
    (d) => new GeminiAssembler((d[0] ?? 0) % 5),
  ),
  {
    name: 'websocket',
    input: 'Responses API WebSocket messages, agent and provider, one per line',
    json: true,
    run: (d) => {
      const assembler = new OpenAiResponsesAssembler();
      for (const line of text(d).split('\n')) {
        readClientMessage(line);
        const event = readServerMessage(line);
        if (event) assembler.event(event);
      }
      assembler.finish(true);
    },
  },
  {
    name: 'mcp',
    input: 'JSON-RPC lines, from the agent and from the server, alternately',
    json: true,
    run: async (d) => {
      const answers = (d[0] ?? 0) % 3;
      const ask = async (method: string): Promise<unknown> => {
        if (answers === 2) throw new Error('Warden is down');
        if (method === 'mcp.call')
          return { decision: { verdict: answers ? 'denied' : 'allowed', rule: 'r', reason: 'x' } };
        if (method === 'mcp.tools') return { blocked: answers ? { read_file: 'changed' } : {} };
        return {};
      };
      const mcp = new McpInterceptor('fuzz', ask as Ask, { maxMessageBytes: 1 << 14 });
      for (const [i, line] of text(d).split('\n').entries()) {
        const v = i % 2 ? await mcp.fromServer(line) : await mcp.fromClient(line);
        for (const out of [v.forward, v.reply])
          if (out !== undefined && typeof out !== 'string') throw new Error('not text');
      }
    },
  },
  {
    name: 'hook',
    input: 'a Claude Code hook payload, decided under the default policy (what the hook and the session do)',
    json: true,
    run: (d) => {
      const h = parseJson(text(d)) as { tool_name?: unknown; tool_input?: unknown; cwd?: unknown } | null;
      if (!h || typeof h !== 'object') return;
      const name = typeof h.tool_name === 'string' ? h.tool_name : '';
      const cwd = typeof h.cwd === 'string' && h.cwd.startsWith('/') ? h.cwd : '/work/ws';
      decideToolCall(policy(), { name, input: h.tool_input, cwd }, toolActions(name, h.tool_input, cwd));
    },
  },
  {
    name: 'dns',
    input: "a packet to a session's resolver, and the same bytes as an upstream's reply",
    run: (d) => {
      const msg = Buffer.from(d);
      const q = readQuery(msg);
      if (q) {
        decideName(policy(), q.name);
        refuse(q.query);
        servfail(q.query);
      }
      addresses(msg);
      rcodeOf(msg);
    },
  },
  {
    name: 'srt',
    input: 'a sandbox-runtime settings file; what it converts to must be a policy Warden accepts',
    json: true,
    run: (d) => {
      let json: unknown;
      try {
        json = JSON.parse(text(d));
      } catch {
        return;
      }
      let policy;
      try {
        policy = parsePolicy(toYaml(convertSrt(json, 'fuzz'), 'fuzz.json'), 'converted.yaml');
      } catch (e) {
        if (e instanceof ZodError || e instanceof PolicyError) return; /* import-srt says why, and writes nothing */
        throw e;
      }
      compilePolicy(policy, { workspace: '/work/ws' }); /* what import-srt hands out, warden run takes */
    },
  },
];
