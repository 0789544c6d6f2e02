/**
 * One model turn in a provider-neutral shape: what the agent asked a model
 * API and what came back. Provider modules (anthropic.ts, openai.ts) read the
 * untrusted bodies into these shapes; nothing here throws on a bad body.
 */
import type { LlmResponse, ToolUse } from '../../model/records.js';
import type { SseEvent } from './sse.js';

/** Request text kept per field: enough to judge a prompt, small enough to store every turn. */
export const REQUEST_TEXT_LIMIT = 16 * 1024;
/** Response text kept per turn. */
export const RESPONSE_TEXT_LIMIT = 64 * 1024;
// Tool arguments must be whole to parse, so they get a far larger bound than text.
const TOOL_ARGUMENTS_LIMIT = 16 * 1024 * 1024;
const TOOL_CALLS_LIMIT = 1024;

/** Reassembles one response from a stream of SSE events, or from a whole JSON body. */
export interface ResponseAssembler {
  event(e: SseEvent): void;
  json(body: unknown): void;
  finish(streamTruncated: boolean): LlmResponse;
  /**
   * Called as soon as one tool call is complete in the stream: agents start running a call before
   * the response ends, and its actions must find it already known.
   */
  onToolUse?: (use: ToolUse) => void;
}

// Readers for untrusted JSON: a value of the wrong type reads as absent.
export function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
export function asString(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
export function asCount(v: unknown): number | null {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null;
}
/** JSON.parse that answers undefined instead of throwing. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
/** A provider error object (`{type, message}`, `{code, message}`) as one line. */
export function errorText(v: unknown): string {
  if (typeof v === 'string') return v;
  const e = asRecord(v);
  return asString(e.message) ?? asString(e.type) ?? asString(e.code) ?? 'unknown error';
}

const utf8 = new TextEncoder();
/** Cuts text to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const { read } = utf8.encodeInto(text, new Uint8Array(maxBytes));
  return text.slice(0, read);
}

/**
 * The final user turn: the trailing run of user-side messages (user text,
 * tool results), skipping anything after it such as an assistant prefill.
 */
export function finalUserTurn<T>(messages: T[], isUserSide: (m: T) => boolean): T[] {
  let end = messages.length;
  while (end > 0 && !isUserSide(messages[end - 1] as T)) end--;
  let start = end;
  while (start > 0 && isUserSide(messages[start - 1] as T)) start--;
  return messages.slice(start, end);
}

/** Collects text blocks, a newline between blocks, keeping no more than the limit. */
export class TextCollector {
  private readonly parts: string[] = [];
  private length = 0;
  private lastBlock: string | number | null = null;

  constructor(private readonly maxBytes: number) {}

  append(block: string | number, text: string | null): void {
    // A UTF-16 length past the byte limit is past it in UTF-8 too: stop holding more.
    if (!text || this.length > this.maxBytes) return;
    if (this.lastBlock !== null && this.lastBlock !== block) this.add('\n');
    this.lastBlock = block;
    this.add(text);
  }

  text(): string {
    return truncateUtf8(this.parts.join(''), this.maxBytes);
  }

  private add(text: string): void {
    const kept = text.slice(0, this.maxBytes + 1 - this.length);
    this.parts.push(kept);
    this.length += kept.length;
  }
}

interface PendingCall {
  id: string;
  name: string;
  fragments: string[];
  length: number;
  // Set once the arguments are known whole; `ok` is false when they did not parse.
  parsed: { input: unknown; ok: boolean } | null;
}

/** Tool calls keyed by their position in the response, arguments arriving in fragments. */
export class ToolCallCollector {
  private readonly calls = new Map<number, PendingCall>();
  /** told of each call once its arguments are complete and parse */
  onComplete: ((use: ToolUse) => void) | undefined;

  /** Starts the call at `index`, or fills in what an earlier fragment left out. */
  open(index: number, id: string | null, name: string | null): void {
    const call = this.call(index);
    if (call === null) return;
    if (id) call.id = id;
    if (name) call.name = name;
  }

  appendArguments(index: number, fragment: string | null): void {
    const call = this.call(index);
    if (call === null || !fragment || call.length > TOOL_ARGUMENTS_LIMIT) return;
    call.fragments.push(fragment);
    call.length += fragment.length;
    call.parsed = null;
  }

  /** Replaces the fragments with the whole argument text. */
  setArguments(index: number, text: string | null): void {
    const call = this.call(index);
    if (call === null || text === null) return;
    call.fragments = [text];
    call.length = text.length;
    call.parsed = null;
  }

  /** Sets arguments that arrived already parsed (a whole JSON body). */
  setInput(index: number, input: unknown): void {
    const call = this.call(index);
    if (call === null) return;
    call.fragments = [];
    call.length = 0;
    call.parsed = { input, ok: true };
  }

  /** Parses the arguments now, dropping the fragments (the block is complete). */
  close(index: number): void {
    const call = this.calls.get(index);
    if (call === undefined || call.parsed !== null) return;
    call.parsed = parseArguments(call);
    if (call.parsed.ok && call.id) this.onComplete?.({ id: call.id, name: call.name, input: call.parsed.input });
  }

  /** The calls in index order; `incomplete` when some arguments were not complete JSON. */
  finish(): { toolUses: ToolUse[]; incomplete: boolean } {
    const toolUses: ToolUse[] = [];
    let incomplete = false;
    for (const index of [...this.calls.keys()].sort((a, b) => a - b)) {
      this.close(index);
      const call = this.calls.get(index) as PendingCall;
      const parsed = call.parsed ?? { input: null, ok: false };
      if (!parsed.ok) incomplete = true;
      toolUses.push({ id: call.id, name: call.name, input: parsed.input });
    }
    return { toolUses, incomplete };
  }

  private call(index: number): PendingCall | null {
    let call = this.calls.get(index);
    if (call === undefined) {
      if (this.calls.size >= TOOL_CALLS_LIMIT) return null;
      call = { id: '', name: '', fragments: [], length: 0, parsed: null };
      this.calls.set(index, call);
    }
    return call;
  }
}

function parseArguments(call: PendingCall): { input: unknown; ok: boolean } {
  const text = call.length > TOOL_ARGUMENTS_LIMIT ? null : call.fragments.join('');
  call.fragments = [];
  if (text === null) return { input: null, ok: false };
  // A call to a tool without parameters may stream no argument text at all.
  if (text.trim() === '') return { input: {}, ok: true };
  const input = parseJson(text);
  return input === undefined ? { input: null, ok: false } : { input, ok: true };
}

/** The fields every provider's response fills in, built into an LlmResponse at the end. */
export class ResponseDraft {
  id: string | null = null;
  model: string | null = null;
  stopReason: string | null = null;
  inputTokens: number | null = null;
  outputTokens: number | null = null;
  error: string | null = null;
  readonly text = new TextCollector(RESPONSE_TEXT_LIMIT);
  readonly tools = new ToolCallCollector();

  build(streamTruncated: boolean): LlmResponse {
    const { toolUses, incomplete } = this.tools.finish();
    const usage =
      this.inputTokens === null && this.outputTokens === null
        ? null
        : { inputTokens: this.inputTokens ?? 0, outputTokens: this.outputTokens ?? 0 };
    return {
      id: this.id,
      model: this.model,
      text: this.text.text(),
      toolUses,
      stopReason: this.stopReason,
      usage,
      truncated: streamTruncated || incomplete,
      error: this.error,
    };
  }
}
