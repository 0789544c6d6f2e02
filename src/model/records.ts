/**
 * What the application layer records: model turns (each a provider-neutral
 * request and response), tool calls, alerts and pinned MCP tools. Every layer
 * shares these schemas: the app layer makes them, the correlator, detectors,
 * store, API and CLI read them.
 */
import { z } from 'zod';

export const ToolUseSchema = z
  .object({
    id: z.string().describe("the provider's tool call id: Anthropic tool_use id, OpenAI tool call id or call_id"),
    name: z.string().describe('the tool the model asked for'),
    input: z.unknown().describe('the parsed arguments; null when they were not complete JSON'),
  })
  .describe('a tool call the model made in its response');
export type ToolUse = z.infer<typeof ToolUseSchema>;

export const ToolResultSchema = z
  .object({
    toolUseId: z.string().describe('the id of the tool call this answers'),
    content: z.string().describe('the result text, truncated to 16 KiB'),
    isError: z.boolean().describe('the agent reported the tool call as failed'),
  })
  .describe('a tool result the agent sent back to the model');
export type ToolResult = z.infer<typeof ToolResultSchema>;

export const LlmRequestSchema = z
  .object({
    model: z.string().nullable().describe('the model asked for'),
    stream: z.boolean().describe('the agent asked for a streamed (SSE) response'),
    messageCount: z.number().int().describe('messages (or input items) in the conversation sent'),
    lastUserText: z.string().describe("text of the final user message's text blocks, truncated to 16 KiB"),
    toolResults: z.array(ToolResultSchema).describe('tool results carried in the final user message'),
    hasTools: z.boolean().describe("the request offers tools: the agent's main loop rather than a side request"),
  })
  .describe('what the agent asked a model API');
export type LlmRequest = z.infer<typeof LlmRequestSchema>;

export const LlmResponseSchema = z
  .object({
    id: z.string().nullable().describe("the provider's response id"),
    model: z.string().nullable().describe('the model that answered'),
    text: z.string().describe("the model's text, all text blocks joined, truncated to 64 KiB"),
    toolUses: z.array(ToolUseSchema).describe('tool calls in the order the model made them'),
    stopReason: z.string().nullable().describe("why the model stopped, in the provider's words"),
    usage: z
      .object({ inputTokens: z.number().int(), outputTokens: z.number().int() })
      .nullable()
      .describe('tokens billed, when the provider reported them'),
    truncated: z.boolean().describe('the stream ended before its final event, or a tool_use input was incomplete JSON'),
    error: z.string().nullable().describe('an error event or error body from the provider'),
  })
  .describe('what a model API answered');
export type LlmResponse = z.infer<typeof LlmResponseSchema>;

export const TurnSchema = z.object({
  sessionId: z.string(),
  seq: z.number().int().describe('order of the turn in its session, from 1'),
  provider: z.enum(['anthropic', 'openai', 'gemini', 'other']),
  path: z.string().describe('the API path asked for, e.g. /v1/messages'),
  startedUs: z.number().int(),
  endedUs: z.number().int().nullable(),
  status: z.number().int().nullable().describe('HTTP status from the provider, or from Warden when it refused'),
  request: LlmRequestSchema,
  response: LlmResponseSchema.nullable(),
  secrets: z
    .array(z.object({ kind: z.string(), preview: z.string() }))
    .describe('secrets found in the request (never the secret itself)'),
  action: z.enum(['forwarded', 'redacted', 'blocked']).describe('what Warden did with the request'),
  latencyUs: z.number().int().nullable().describe('time Warden added before the request left (scan, redaction)'),
});
export type Turn = z.infer<typeof TurnSchema>;

export const ToolDecisionSchema = z.object({
  verdict: z.enum(['allowed', 'denied', 'would-deny']),
  rule: z.string(),
  reason: z.string(),
  policy: z.string(),
  by: z.string().describe('what decided: hook, mcp-proxy, or hook-local when the session could not be asked'),
  latencyUs: z.number().int().optional(),
});
export type ToolDecision = z.infer<typeof ToolDecisionSchema>;

export const ToolCallSchema = z.object({
  sessionId: z.string(),
  id: z.string().describe("the agent's tool call id (tool_use id, call_id, or MCP request id)"),
  name: z.string().describe('tool name; MCP tools as mcp__server__tool'),
  input: z.unknown(),
  turn: z.number().int().nullable().describe('seq of the model turn that asked for the call'),
  sources: z.array(z.enum(['llm', 'hook', 'mcp'])).describe('which layers saw the call'),
  startedUs: z.number().int(),
  endedUs: z.number().int().nullable(),
  result: z.object({ text: z.string(), isError: z.boolean() }).nullable(),
  decision: ToolDecisionSchema.nullable(),
});
export type ToolCall = z.infer<typeof ToolCallSchema>;

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const AlertSchema = z.object({
  id: z.number().int().optional(),
  sessionId: z.string().nullable(),
  timeUs: z.number().int(),
  detector: z.string().describe('what raised it, e.g. undeclared-action, intent-mismatch, llm.secret'),
  severity: z.enum(SEVERITIES),
  message: z.string(),
  toolCallId: z.string().nullable().describe('the tool call behind it, if any'),
  eventIds: z.array(z.number().int()).describe('kernel events that are its evidence'),
  data: z.record(z.string(), z.unknown()).describe('details for people and tools'),
});
export type Alert = z.infer<typeof AlertSchema>;

export const McpToolSchema = z.object({
  server: z.string(),
  tool: z.string(),
  hash: z.string().describe('sha256 of the approved description and input schema'),
  description: z.string(),
  pendingHash: z.string().nullable().describe('a changed definition, blocked until approved'),
  pendingDescription: z.string().nullable(),
  firstSeenUs: z.number().int(),
  changedUs: z.number().int().nullable(),
});
export type McpTool = z.infer<typeof McpToolSchema>;
