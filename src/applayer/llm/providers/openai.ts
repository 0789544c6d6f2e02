/**
 * The OpenAI APIs an agent may speak: Chat Completions (`/v1/chat/completions`)
 * and Responses (`/v1/responses`). One request reader serves both; each has
 * its own response assembler because their streams share nothing.
 */
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

/** Reads a Chat Completions body (it has `messages`) or else a Responses body; never throws. */
export function parseOpenAiRequest(body: unknown): LlmRequest {
  const req = asRecord(body);
  const turn = Array.isArray(req.messages) ? chatTurn(req.messages.map(asRecord)) : responsesTurn(req.input);
  return {
    model: asString(req.model),
    stream: req.stream === true,
    messageCount: turn.messageCount,
    lastUserText: truncateUtf8(turn.texts.join('\n'), REQUEST_TEXT_LIMIT),
    toolResults: turn.toolResults,
    // `functions` is the Chat Completions spelling before `tools`.
    hasTools: asArray(req.tools).length > 0 || asArray(req.functions).length > 0,
  };
}

interface UserTurn {
  messageCount: number;
  texts: string[];
  toolResults: ToolResult[];
}

/** Chat Completions: tool results are messages of their own (role `tool`) after the assistant's. */
function chatTurn(messages: Record<string, unknown>[]): UserTurn {
  const turn: UserTurn = { messageCount: messages.length, texts: [], toolResults: [] };
  const isUserSide = (m: Record<string, unknown>): boolean => m.role === 'user' || m.role === 'tool';
  for (const message of finalUserTurn(messages, isUserSide)) {
    if (message.role === 'user') turn.texts.push(partsText(message.content));
    else turn.toolResults.push(toolResult(message.tool_call_id, message.content));
  }
  return turn;
}

/** Responses: `input` is a string, or items where a tool result is a `function_call_output` item. */
function responsesTurn(input: unknown): UserTurn {
  if (typeof input === 'string') return { messageCount: 1, texts: [input], toolResults: [] };
  const items = asArray(input).map(asRecord);
  const turn: UserTurn = { messageCount: items.length, texts: [], toolResults: [] };
  const isUserSide = (i: Record<string, unknown>): boolean => i.role === 'user' || i.type === 'function_call_output';
  for (const item of finalUserTurn(items, isUserSide)) {
    if (item.role === 'user') turn.texts.push(partsText(item.content));
    else turn.toolResults.push(toolResult(item.call_id, item.output));
  }
  return turn;
}

function toolResult(id: unknown, content: unknown): ToolResult {
  // Neither API has an error flag on tool results: the agent says so in the text.
  return {
    toolUseId: asString(id) ?? '',
    content: truncateUtf8(partsText(content), REQUEST_TEXT_LIMIT),
    isError: false,
  };
}

const TEXT_PARTS = new Set(['text', 'input_text', 'output_text']);

/** A content field: a string, or the text of its text parts (images and files carry none). */
function partsText(content: unknown): string {
  if (typeof content === 'string') return content;
  const texts: string[] = [];
  for (const part of asArray(content).map(asRecord)) {
    if (TEXT_PARTS.has(asString(part.type) ?? '') && typeof part.text === 'string') texts.push(part.text);
  }
  return texts.join('\n');
}

/** An error body, `{error: {...}}`; success bodies have no `error` or a null one. */
function bodyError(body: unknown): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the response body is not a JSON object';
  const error = asRecord(body).error;
  return error === undefined || error === null ? null : errorText(error);
}

/** Reassembles a Chat Completions response: `chat.completion.chunk` events, or one `chat.completion` body. */
export class OpenAiChatAssembler implements ResponseAssembler {
  private readonly draft = new ResponseDraft();

  set onToolUse(fn: ((use: ToolUse) => void) | undefined) {
    this.draft.tools.onComplete = fn;
  }
  // Streams end with `data: [DONE]`; without it the response was cut short.
  private complete = false;

  event(e: SseEvent): void {
    if (e.data.trim() === '[DONE]') {
      this.complete = true;
      return;
    }
    const chunk = asRecord(parseJson(e.data));
    if (chunk.error !== undefined && chunk.error !== null) this.draft.error = errorText(chunk.error);
    this.header(chunk);
    const choice = firstChoice(chunk.choices);
    const delta = asRecord(choice.delta);
    this.draft.text.append(0, asString(delta.content));
    asArray(delta.tool_calls).forEach((c, position) => {
      const call = asRecord(c);
      const fn = asRecord(call.function);
      // Only the first fragment of a call carries its id and name; `index` ties the rest to it.
      const index = asCount(call.index) ?? position;
      this.draft.tools.open(index, asString(call.id), asString(fn.name));
      this.draft.tools.appendArguments(index, asString(fn.arguments));
    });
    this.draft.stopReason = asString(choice.finish_reason) ?? this.draft.stopReason;
  }

  json(body: unknown): void {
    this.complete = true;
    this.draft.error = bodyError(body);
    const completion = asRecord(body);
    this.header(completion);
    const choice = firstChoice(completion.choices);
    const message = asRecord(choice.message);
    this.draft.text.append(0, partsText(message.content));
    asArray(message.tool_calls).forEach((c, index) => {
      const call = asRecord(c);
      const fn = asRecord(call.function);
      this.draft.tools.open(index, asString(call.id), asString(fn.name));
      this.draft.tools.setArguments(index, asString(fn.arguments));
    });
    this.draft.stopReason = asString(choice.finish_reason);
  }

  finish(streamTruncated: boolean): LlmResponse {
    return this.draft.build(streamTruncated || !this.complete);
  }

  private header(chunk: Record<string, unknown>): void {
    this.draft.id = asString(chunk.id) ?? this.draft.id;
    this.draft.model = asString(chunk.model) ?? this.draft.model;
    // Streams carry usage only when asked (stream_options.include_usage), in a last chunk without choices.
    const usage = asRecord(chunk.usage);
    this.draft.inputTokens = asCount(usage.prompt_tokens) ?? this.draft.inputTokens;
    this.draft.outputTokens = asCount(usage.completion_tokens) ?? this.draft.outputTokens;
  }
}

/** Choice 0: an agent asking for several (`n` > 1) acts on the first. */
function firstChoice(choices: unknown): Record<string, unknown> {
  const all = asArray(choices).map(asRecord);
  return all.find((c) => c.index === 0) ?? all[0] ?? {};
}

/** Reassembles a Responses API response: `response.*` events, or one `response` body. */
export class OpenAiResponsesAssembler implements ResponseAssembler {
  private readonly draft = new ResponseDraft();

  set onToolUse(fn: ((use: ToolUse) => void) | undefined) {
    this.draft.tools.onComplete = fn;
  }
  // Streams end with response.completed (or .incomplete / .failed); without one the response was cut short.
  private complete = false;

  event(e: SseEvent): void {
    const data = asRecord(parseJson(e.data));
    const index = asCount(data.output_index);
    switch (asString(data.type) ?? e.event) {
      case 'response.created':
      case 'response.in_progress':
        this.header(asRecord(data.response), false);
        break;
      case 'response.output_text.delta':
        this.draft.text.append(`${index}:${asCount(data.content_index)}`, asString(data.delta));
        break;
      case 'response.output_item.added':
      case 'response.output_item.done':
        if (index !== null) this.item(index, asRecord(data.item), data.type === 'response.output_item.done');
        break;
      case 'response.function_call_arguments.delta':
        if (index !== null) this.draft.tools.appendArguments(index, asString(data.delta));
        break;
      case 'response.function_call_arguments.done':
        if (index !== null) this.draft.tools.setArguments(index, asString(data.arguments));
        break;
      case 'response.completed':
      case 'response.incomplete':
      case 'response.failed':
        this.complete = true;
        this.header(asRecord(data.response), true);
        break;
      case 'error':
        this.draft.error = errorText(data);
        break;
    }
  }

  json(body: unknown): void {
    this.complete = true;
    this.header(asRecord(body), true);
    this.draft.error = this.draft.error ?? bodyError(body);
    asArray(asRecord(body).output).forEach((o, index) => {
      const item = asRecord(o);
      this.item(index, item, true);
      if (item.type !== 'message') return;
      asArray(item.content).forEach((p, part) => {
        const content = asRecord(p);
        if (content.type === 'output_text') this.draft.text.append(`${index}:${part}`, asString(content.text));
      });
    });
  }

  finish(streamTruncated: boolean): LlmResponse {
    return this.draft.build(streamTruncated || !this.complete);
  }

  /** An output item; a function call's arguments are whole once the item is done. */
  private item(index: number, item: Record<string, unknown>, done: boolean): void {
    if (item.type !== 'function_call') return;
    this.draft.tools.open(index, asString(item.call_id), asString(item.name));
    if (done) {
      this.draft.tools.setArguments(index, asString(item.arguments));
      this.draft.tools.close(index);
    }
  }

  /** The response object, sent when it starts and again, `final`, when it ends. */
  private header(response: Record<string, unknown>, final: boolean): void {
    this.draft.id = asString(response.id) ?? this.draft.id;
    this.draft.model = asString(response.model) ?? this.draft.model;
    // An incomplete response says why (max_output_tokens, content_filter); that is the stop reason.
    const incomplete = asString(asRecord(response.incomplete_details).reason);
    if (final) this.draft.stopReason = incomplete ?? asString(response.status);
    if (response.error !== undefined && response.error !== null) this.draft.error = errorText(response.error);
    const usage = asRecord(response.usage);
    this.draft.inputTokens = asCount(usage.input_tokens) ?? this.draft.inputTokens;
    this.draft.outputTokens = asCount(usage.output_tokens) ?? this.draft.outputTokens;
  }
}

export const openai: ProviderAdapter = {
  id: 'openai',
  prefix: '/openai',
  parseRequest: (_path, body) => parseOpenAiRequest(body),
  assembler: (path) =>
    /\/chat\/completions$/.test(path)
      ? new OpenAiChatAssembler()
      : /\/responses$/.test(path)
        ? new OpenAiResponsesAssembler()
        : undefined,
  errorBody: openAiStyleError,
};
