/**
 * What the LLM proxy needs of a model provider: where its traffic enters the proxy and goes on to,
 * how to read its requests, how to reassemble its responses, and how it says an error.
 */
import type { LlmRequest } from '../../../model/records.js';
import type { ResponseAssembler } from '../turn.js';

export interface Upstreams {
  anthropic: string;
  openai: string;
  gemini: string;
}

export interface ProviderAdapter {
  readonly id: keyof Upstreams;
  /** the path its traffic enters the proxy under ('' for the root) */
  readonly prefix: string;
  /** its request body in the provider-neutral shape; `path` as asked, past the prefix */
  parseRequest(path: string, body: unknown): LlmRequest;
  /** the assembler for a model call's response; undefined for anything else (probes, token counts) */
  assembler(path: string, request: LlmRequest): ResponseAssembler | undefined;
  /** an error body in the provider's own shape, so the agent shows the reason */
  errorBody(status: number, message: string): string;
}

/** The error shape OpenAI's API and those made like it use. */
export const openAiStyleError = (status: number, message: string): string =>
  JSON.stringify({ error: { message, type: 'warden_refused', code: status } });
