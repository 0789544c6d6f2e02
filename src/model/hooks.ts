/** The hook events of the agent CLIs whose hooks Warden answers (`warden hooks install --agent`). Free of zod: the hook loads it. */
/**
 * Where in a tool call a hook event comes: Claude Code's PreToolUse / PostToolUse /
 * PostToolUseFailure, Gemini CLI's BeforeTool / AfterTool (whose response carries `error` when
 * the call failed); undefined for any other event.
 */
export function hookPhase(h: {
  hook_event_name?: string;
  tool_response?: unknown;
}): 'before' | 'after' | 'failed' | undefined {
  switch (h.hook_event_name) {
    case 'PreToolUse':
    case 'BeforeTool':
      return 'before';
    case 'PostToolUse':
      return 'after';
    case 'PostToolUseFailure':
      return 'failed';
    case 'AfterTool': {
      const r = h.tool_response;
      return r && typeof r === 'object' && 'error' in r && r.error ? 'failed' : 'after';
    }
    default:
      return undefined;
  }
}
