/**
 * The Gemini API (`POST /v1beta/models/{model}:generateContent`, and
 * `:streamGenerateContent?alt=sse`): the request an agent sends, and the
 * response streamed back as SSE (each event a whole GenerateContentResponse)
 * or returned as one JSON body. Gemini CLI speaks it.
 *
 * A function call usually comes without an id, and the agent then invents
 * its own, writing it into its history too (Gemini CLI does). So every call
 * is named here by where it stands: the position its model message takes in
 * the history, which function call of that message it is, and a digest of
 * what it asks. The next request carries that model message back, followed by
 * the responses in order, so the same name is found again for each result.
 */
import { createHash } from 'node:crypto';
import type { SseEvent } from '../sse.js';
import {
  asArray,
  asCount,
  asRecord,
  asString,
  errorText,
  finalUserTurn,
  parseJson,
  REQUEST_TEXT_LIMIT,
  ResponseDraft,
  truncateUtf8,
  type ResponseAssembler,
} from '../turn.js';
import { openAiStyleError, type ProviderAdapter } from './adapter.js';
import { type LlmRequest, type LlmResponse, type ToolResult, type ToolUse } from '../../../model/records.js';

/** `/v1beta/models/gemini-2.5-flash:streamGenerateContent` -> the model and the method. */
export function geminiMethod(path: string): { model: string | null; method: string | null } {
  const m = /\/models\/([^/:]+):([A-Za-z]+)$/.exec(path);
  return { model: m?.[1] ? decodeURIComponent(m[1]) : null, method: m?.[2] ?? null };
}

export const isGeminiModelCall = (path: string): boolean =>
  ['generateContent', 'streamGenerateContent'].includes(geminiMethod(path).method ?? '');

/** The id Warden gives the `nth` function call of the model message at `historyIndex`. */
export function functionCallId(historyIndex: number, nth: number, name: string, args: unknown): string {
  const digest = createHash('sha256')
    .update(`${name}\0${JSON.stringify(args ?? {})}`)
    .digest('hex')
    .slice(0, 12);
  return `gemini-${historyIndex}-${nth}-${digest}`;
}

const isUserSide = (m: Record<string, unknown>): boolean => m.role !== 'model';

/** The function calls of a model message, each with the id this module knows it by. */
function callsOf(message: Record<string, unknown>, historyIndex: number): Array<{ id: string; name: string }> {
  const calls: Array<{ id: string; name: string }> = [];
  for (const part of asArray(asRecord(message).parts).map(asRecord)) {
    const call = asRecord(part.functionCall);
    const name = asString(call.name);
    if (name === null) continue;
    calls.push({ id: functionCallId(historyIndex, calls.length, name, call.args), name });
  }
  return calls;
}

/** Reads a Gemini request body (and its path, which names the model); missing fields read as empty. */
export function parseGeminiRequest(body: unknown, path: string): LlmRequest {
  const req = asRecord(body);
  const contents = asArray(req.contents).map(asRecord);
  const finalTurn = finalUserTurn(contents, isUserSide);
  const start = contents.length - finalTurn.length - trailingModel(contents);
  const before = start > 0 ? (contents[start - 1] as Record<string, unknown>) : undefined;
  const pending = before && before.role === 'model' ? callsOf(before, start - 1) : [];
  const texts: string[] = [];
  const toolResults: ToolResult[] = [];
  for (const message of finalTurn) {
    for (const part of asArray(message.parts).map(asRecord)) {
      if (typeof part.text === 'string' && part.thought !== true) texts.push(part.text);
      if (part.functionResponse === undefined) continue;
      const result = functionResult(asRecord(part.functionResponse), pending);
      if (result) toolResults.push(result);
    }
  }
  return {
    model: geminiMethod(path).model ?? asString(req.model),
    stream: geminiMethod(path).method === 'streamGenerateContent',
    messageCount: contents.length,
    lastUserText: truncateUtf8(texts.join('\n'), REQUEST_TEXT_LIMIT),
    toolResults,
    hasTools: asArray(req.tools).length > 0,
  };
}

/** How many model messages close the history (a prefill after the user's turn). */
function trailingModel(contents: Array<Record<string, unknown>>): number {
  let n = 0;
  while (n < contents.length && !isUserSide(contents[contents.length - 1 - n] as Record<string, unknown>)) n++;
  return n;
}

/**
 * A function response, named after the call it answers: the first one left of its name.
 * None answers it (the history was rewritten, compressed say): it is left out.
 */
function functionResult(
  fr: Record<string, unknown>,
  pending: Array<{ id: string; name: string }>,
): ToolResult | undefined {
  const name = asString(fr.name) ?? '';
  const index = pending.findIndex((c) => c.name === name);
  const call = index >= 0 ? pending.splice(index, 1)[0] : undefined;
  if (!call) return undefined;
  const response = asRecord(fr.response);
  const error = response.error !== undefined;
  const content =
    typeof response.output === 'string'
      ? response.output
      : typeof response.error === 'string'
        ? response.error
        : JSON.stringify(fr.response ?? null);
  return {
    toolUseId: call.id,
    content: truncateUtf8(content, REQUEST_TEXT_LIMIT),
    isError: error,
  };
}

/** Reassembles a Gemini response: each streamed event is a whole GenerateContentResponse. */
export class GeminiAssembler implements ResponseAssembler {
  private readonly draft = new ResponseDraft();
  private finished = false;

  /** `historyIndex`: where this response's message will stand in the next request's history */
  constructor(private readonly historyIndex: number) {}

  set onToolUse(fn: ((use: ToolUse) => void) | undefined) {
    this.draft.tools.onComplete = fn;
  }

  event(e: SseEvent): void {
    this.chunk(parseJson(e.data));
  }

  json(body: unknown): void {
    /* a whole body is one response, or (with alt=json on the streaming method) a list of them */
    if (Array.isArray(body)) body.forEach((b) => this.chunk(b));
    else if (typeof body !== 'object' || body === null) this.draft.error = 'the response body is not a JSON object';
    else this.chunk(body);
    this.finished = true;
  }

  finish(streamTruncated: boolean): LlmResponse {
    return this.draft.build(streamTruncated || !this.finished);
  }

  private chunk(value: unknown): void {
    const r = asRecord(value);
    if (r.error !== undefined) this.draft.error = errorText(r.error);
    this.draft.id = asString(r.responseId) ?? this.draft.id;
    this.draft.model = asString(r.modelVersion) ?? this.draft.model;
    const usage = asRecord(r.usageMetadata);
    this.draft.inputTokens = asCount(usage.promptTokenCount) ?? this.draft.inputTokens;
    this.draft.outputTokens = asCount(usage.candidatesTokenCount) ?? this.draft.outputTokens;
    /* the agent uses the first candidate; so does this record */
    const candidate = asRecord(asArray(r.candidates)[0]);
    for (const part of asArray(asRecord(candidate.content).parts).map(asRecord)) this.part(part);
    const reason = asString(candidate.finishReason);
    if (reason) {
      this.draft.stopReason = reason;
      this.finished = true;
    }
  }

  /* function calls arrive whole, each in one part; text may be split over parts and events */
  private calls = 0;

  private part(part: Record<string, unknown>): void {
    if (typeof part.text === 'string' && part.thought !== true) this.draft.text.append(0, part.text);
    const call = asRecord(part.functionCall);
    const name = asString(call.name);
    if (part.functionCall === undefined || name === null) return;
    const nth = this.calls++;
    const id = functionCallId(this.historyIndex, nth, name, call.args);
    this.draft.tools.open(nth, id, name);
    this.draft.tools.setArguments(nth, JSON.stringify(call.args ?? {}));
    this.draft.tools.close(nth); /* told at once: the agent runs it before the response ends */
  }
}

export const gemini: ProviderAdapter = {
  id: 'gemini',
  prefix: '/gemini',
  parseRequest: (path, body) => parseGeminiRequest(body, path),
  assembler: (path, request) => (isGeminiModelCall(path) ? new GeminiAssembler(request.messageCount) : undefined),
  errorBody: openAiStyleError,
};
