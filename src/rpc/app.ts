/**
 * The session's application-layer socket: what the agent's side asks (`warden hook`, and
 * `warden mcp`, the MCP proxy inside the session) and what it is answered. `hook` is a Claude
 * Code or Gemini CLI hook's input as the agent wrote it. Served by the session's app layer (applayer/service.ts).
 */
import { z } from 'zod';
import { ToolDecisionSchema } from '../model/records.js';

export const HookInputSchema = z
  .object({
    hook_event_name: z.string(),
    tool_name: z.string(),
    tool_input: z.unknown(),
    tool_use_id: z.string().optional(),
    tool_response: z.unknown().optional(),
    cwd: z.string().optional(),
    session_id: z.string().optional(),
  })
  .passthrough();
export type HookInput = z.infer<typeof HookInputSchema>;

export const McpToolDefSchema = z.object({
  name: z.string(),
  description: z.string().optional(),
  inputSchema: z.unknown().optional(),
});
export type McpToolDef = z.infer<typeof McpToolDefSchema>;

/** `mcp.tools`: a server's tools/list, to pin each definition */
export const McpToolsParams = z.object({ server: z.string(), tools: z.array(McpToolDefSchema) });

/** `mcp.call`: a tools/call about to go to the server */
export const McpCallParams = z.object({
  server: z.string(),
  tool: z.string(),
  args: z.unknown(),
  id: z.string(),
  blocked: z.string().optional().describe('why the proxy holds the tool blocked (its definition changed)'),
});

/** `mcp.result`: what the server answered */
export const McpResultParams = z.object({ server: z.string(), id: z.string(), text: z.string(), isError: z.boolean() });

export const APP = {
  hook: { params: HookInputSchema, result: z.object({ decision: ToolDecisionSchema.nullable() }) },
  'mcp.tools': {
    params: McpToolsParams,
    result: z.object({ blocked: z.record(z.string(), z.string()).describe('tool -> why it is held blocked') }),
  },
  'mcp.call': { params: McpCallParams, result: z.object({ decision: ToolDecisionSchema }) },
  'mcp.result': {
    params: McpResultParams,
    result: z.object({ tells: z.array(z.string()).describe('instruction-like text found in the result') }),
  },
};
export type AppProtocol = typeof APP;
