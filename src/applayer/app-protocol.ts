/**
 * What the session's application-layer socket accepts: one schema per method, checked on arrival.
 * `hook` is a Claude Code hook's input as the agent wrote it; the `mcp.*` methods come from
 * `warden mcp`, the MCP proxy inside the session.
 */
import { z } from 'zod';

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
