/** Test support for the provider modules' unit tests: a response stream replayed as the proxy sees it. */
import { SseParser } from './sse.js';
import { type ResponseAssembler } from './turn.js';
import { LlmResponseSchema, type LlmResponse } from '../../model/records.js';

/** Runs raw SSE text through the parser into `assembler`, cut into pieces of `size` bytes. */
export function replaySse(assembler: ResponseAssembler, text: string, size: number): LlmResponse {
  const parser = new SseParser();
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size)
    parser.push(bytes.subarray(i, i + size)).forEach((e) => assembler.event(e));
  const end = parser.end();
  end.events.forEach((e) => assembler.event(e));
  return LlmResponseSchema.parse(assembler.finish(end.truncated));
}
