/** The model providers the proxy speaks for, each behind one adapter. */
import type { ProviderAdapter } from './adapter.js';
import { anthropic } from './anthropic.js';
import { gemini } from './gemini.js';
import { openai } from './openai.js';

export type { ProviderAdapter, Upstreams } from './adapter.js';

/** Those under a prefix first; Anthropic's API is served at the root. */
export const PROVIDERS: readonly ProviderAdapter[] = [openai, gemini, anthropic];
