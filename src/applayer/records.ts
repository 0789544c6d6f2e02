/**
 * What the application layer records: model turns, tool calls, alerts and
 * pinned MCP tools. The store, the CLI and (later) the API share these schemas.
 */
import { z } from 'zod';
import { LlmRequestSchema, LlmResponseSchema } from './llm/turn.js';

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
