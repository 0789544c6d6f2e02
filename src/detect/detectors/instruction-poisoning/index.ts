/**
 * Writing what other agents will read as instructions: AGENTS.md, CLAUDE.md,
 * rules files, MCP configurations. Outside the session's workspace (another
 * project, another agent's home) it is worse.
 */
import type { Detector } from '../../detector.js';
import { writtenPath } from '../../facts.js';

const FILES =
  /(^|\/)(AGENTS\.md|CLAUDE\.md|CLAUDE\.local\.md|GEMINI\.md|\.cursorrules|\.windsurfrules|copilot-instructions\.md|\.mcp\.json|mcp\.json|mcp_config\.json|claude_desktop_config\.json)$|\/\.claude\/(settings(\.local)?\.json|commands\/|agents\/)|\/\.cursor\/rules\/|\/\.codex\/(config\.toml|AGENTS\.md)$|\/\.gemini\/settings\.json$/;

export default function instructionPoisoning(): Detector {
  return {
    id: 'instruction-poisoning',
    severity: 'medium',
    tags: ['instruction-poisoning'],
    description: 'agent instruction files or MCP configurations written, worst outside the workspace',
    event(e, ctx) {
      const path = writtenPath(e);
      if (!path || !FILES.test(path)) return undefined;
      const inside = ctx.workspace !== null && (path === ctx.workspace || path.startsWith(`${ctx.workspace}/`));
      return [
        {
          severity: inside ? 'medium' : 'high',
          message: `instructions for agents written ${inside ? 'in the workspace' : 'outside the workspace'}: ${path}; the next agent that opens ${inside ? 'the project' : 'that project'} obeys them`,
          events: [e],
          key: path,
          data: { path, insideWorkspace: inside },
        },
      ];
    },
  };
}
