/** What the LLM proxy and its WebSocket relay tell the proxy's owner (the app layer), and ask it. */
import type { LlmRequest, LlmResponse } from '../../model/records.js';

export type Provider = 'anthropic' | 'openai' | 'gemini' | 'other';

/** What the proxy tells its owner, and asks it, about each exchange. */
export interface ProxyHooks {
  /** A request arrived: what should happen to it (secrets found, redacted body). */
  request(r: {
    provider: Provider;
    path: string;
    /** a model call (messages, completions, responses), not a probe or a token count */
    modelCall: boolean;
    parsed: LlmRequest;
    body: unknown;
  }): {
    seq: number;
    action: 'forwarded' | 'redacted' | 'blocked';
    body?: unknown;
    reason?: string;
  };
  /** One tool call complete in the response stream, before the response ends. */
  toolUse?(seq: number, use: { id: string; name: string; input: unknown }): void;
  /** The exchange is over (the response ended, was cut, or was refused). */
  done(r: { seq: number; status: number | null; response: LlmResponse | null; latencyUs: number | null }): void;
}
