/**
 * The Anthropic Messages API (`POST /v1/messages`): the request an agent
 * sends, and the response streamed back as SSE or returned as one JSON body.
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
import type { ProviderAdapter } from './adapter.js';
import { type LlmRequest, type LlmResponse, type ToolResult, type ToolUse } from '../../../model/records.js';

/** Reads a Messages API request body; any shape yields a request, missing fields read as empty. */
export function parseAnthropicRequest(body: unknown): LlmRequest {
  const req = asRecord(body);
  const messages = asArray(req.messages).map(asRecord);
  const texts: string[] = [];
  const toolResults: ToolResult[] = [];
  for (const message of finalUserTurn(messages, (m) => m.role === 'user')) {
    if (typeof message.content === 'string') texts.push(message.content);
    for (const block of asArray(message.content).map(asRecord)) {
      if (block.type === 'text' && typeof block.text === 'string') texts.push(block.text);
      if (block.type === 'tool_result') toolResults.push(toolResult(block));
    }
  }
  return {
    model: asString(req.model),
    stream: req.stream === true,
    messageCount: messages.length,
    lastUserText: truncateUtf8(texts.join('\n'), REQUEST_TEXT_LIMIT),
    toolResults,
    hasTools: asArray(req.tools).length > 0,
  };
}

function toolResult(block: Record<string, unknown>): ToolResult {
  return {
    toolUseId: asString(block.tool_use_id) ?? '',
    content: truncateUtf8(contentText(block.content), REQUEST_TEXT_LIMIT),
    isError: block.is_error === true,
  };
}

/** A content field: a string, or the text of its text blocks (images and documents carry none). */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  const texts: string[] = [];
  for (const block of asArray(content).map(asRecord)) {
    if (block.type === 'text' && typeof block.text === 'string') texts.push(block.text);
  }
  return texts.join('\n');
}

// Server tools (web search, code execution) are tool calls too: the model acted through them.
const TOOL_BLOCKS = new Set(['tool_use', 'server_tool_use']);
const isToolBlock = (block: Record<string, unknown>): boolean => TOOL_BLOCKS.has(asString(block.type) ?? '');

/** Reassembles a Messages API response, streamed or whole. */
export class AnthropicAssembler implements ResponseAssembler {
  private readonly draft = new ResponseDraft();

  set onToolUse(fn: ((use: ToolUse) => void) | undefined) {
    this.draft.tools.onComplete = fn;
  }
  // Streams end with message_stop; without it the response was cut short.
  private complete = false;

  event(e: SseEvent): void {
    const data = asRecord(parseJson(e.data));
    switch (asString(data.type) ?? e.event) {
      case 'message_start':
        this.message(asRecord(data.message));
        break;
      case 'content_block_start':
        this.blockStart(asCount(data.index), asRecord(data.content_block));
        break;
      case 'content_block_delta':
        this.blockDelta(asCount(data.index), asRecord(data.delta));
        break;
      case 'content_block_stop':
        this.blockStop(asCount(data.index));
        break;
      case 'message_delta':
        this.draft.stopReason = asString(asRecord(data.delta).stop_reason) ?? this.draft.stopReason;
        this.usage(asRecord(data.usage));
        break;
      case 'message_stop':
        this.complete = true;
        break;
      case 'error':
        this.draft.error = errorText(data.error);
        break;
    }
  }

  json(body: unknown): void {
    this.complete = true;
    const message = asRecord(body);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      this.draft.error = 'the response body is not a JSON object';
    } else if (message.type === 'error' || (message.error !== undefined && message.error !== null)) {
      this.draft.error = errorText(message.error);
    }
    this.message(message);
    asArray(message.content).forEach((b, index) => {
      const block = asRecord(b);
      this.blockStart(index, block);
      this.blockStop(index);
    });
    this.draft.stopReason = asString(message.stop_reason) ?? this.draft.stopReason;
  }

  finish(streamTruncated: boolean): LlmResponse {
    return this.draft.build(streamTruncated || !this.complete);
  }

  private message(message: Record<string, unknown>): void {
    this.draft.id = asString(message.id) ?? this.draft.id;
    this.draft.model = asString(message.model) ?? this.draft.model;
    this.usage(asRecord(message.usage));
  }

  private usage(usage: Record<string, unknown>): void {
    // message_delta repeats the running totals, so the latest figure wins.
    this.draft.inputTokens = asCount(usage.input_tokens) ?? this.draft.inputTokens;
    this.draft.outputTokens = asCount(usage.output_tokens) ?? this.draft.outputTokens;
  }

  private blockStart(index: number | null, block: Record<string, unknown>): void {
    if (index === null) return;
    if (block.type === 'text') this.draft.text.append(index, asString(block.text));
    if (isToolBlock(block)) {
      this.draft.tools.open(index, asString(block.id), asString(block.name));
      this.draft.tools.setInput(index, block.input === undefined ? {} : block.input);
    }
  }

  private blockStop(index: number | null): void {
    // The arguments are whole now: parse them once and let the fragments go.
    if (index !== null) this.draft.tools.close(index);
  }

  private blockDelta(index: number | null, delta: Record<string, unknown>): void {
    if (index === null) return;
    // thinking_delta, signature_delta and citations_delta carry nothing this record keeps.
    if (delta.type === 'text_delta') this.draft.text.append(index, asString(delta.text));
    if (delta.type === 'input_json_delta') this.draft.tools.appendArguments(index, asString(delta.partial_json));
  }
}

export const anthropic: ProviderAdapter = {
  id: 'anthropic',
  prefix: '',
  parseRequest: (_path, body) => parseAnthropicRequest(body),
  assembler: (path) => (/\/messages$/.test(path) ? new AnthropicAssembler() : undefined),
  errorBody: (status, message) => {
    const type = status === 413 ? 'request_too_large' : status === 502 ? 'api_error' : 'permission_error';
    return JSON.stringify({ type: 'error', error: { type, message } });
  },
};
