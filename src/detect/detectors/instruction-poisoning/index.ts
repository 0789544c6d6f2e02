/**
 * Writing what other agents will read as instructions: AGENTS.md, CLAUDE.md,
 * rules files, MCP configurations. Outside the session's workspace (another
 * project, another agent's home) it is worse.
 */
import type { WardenEvent } from '../../../pipeline/events.js';
import type { Detector, Signal } from '../../detector.js';
import { targetPath, UntilWriterExits, within } from '../../facts.js';

/* what an instruction file has no business saying: run fetched code, reach a raw address, hide things,
 * move credentials somewhere */
const RISKY =
  /\b(curl|wget|nc|ncat)\b[^\n]*|\|\s*(ba|z)?sh\b|base64\s+-d|ignore (all |any )?(previous|prior) instructions|do not (tell|mention|reveal)|~\/\.(ssh|aws)|\b(back ?up|copy|send|upload|post|mail)\b[^\n]{0,40}(\.env|\.ssh|\.aws|secrets?|tokens?|credentials?)\b|\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b/i;

function found(e: WardenEvent, path: string, inside: boolean, how: string, says = ''): Signal {
  return {
    severity: inside ? 'medium' : 'high',
    message: `instructions for agents ${how} ${inside ? 'in the workspace' : 'outside the workspace'}: ${path}; the next agent that opens ${inside ? 'the project' : 'that project'} obeys them${says}`,
    events: [e],
    key: path,
    data: { path, insideWorkspace: inside },
  };
}

const FILES =
  /(^|\/)(AGENTS\.md|CLAUDE\.md|CLAUDE\.local\.md|GEMINI\.md|\.cursorrules|\.windsurfrules|copilot-instructions\.md|\.mcp\.json|mcp\.json|mcp_config\.json|claude_desktop_config\.json)$|\/\.claude\/(settings(\.local)?\.json|commands\/|agents\/)|\/\.cursor\/rules\/|\/\.codex\/(config\.toml|AGENTS\.md)$|\/\.gemini\/settings\.json$/;

export default function instructionPoisoning(): Detector {
  const written = new UntilWriterExits();
  return {
    id: 'instruction-poisoning',
    severity: 'medium',
    tags: ['instruction-poisoning'],
    description: 'agent instruction files or MCP configurations written, worst outside the workspace',
    event(e, ctx) {
      const t = targetPath(e);
      /* the agent program's own settings, as it starts or keeps its state: not instructions it plants */
      if (t && FILES.test(t.path) && e.attribution !== 'agent-runtime') {
        const inside = within(t.path, ctx.workspace);
        /* the project's own instructions are the agent's to edit: what they say is judged once written */
        if (inside && !t.refused) {
          written.note(t.path, e);
          return undefined;
        }
        return [found(e, t.path, inside, t.refused ? 'attempted (refused)' : 'written')];
      }
      const out = [];
      for (const [p, w] of written.done(e)) {
        const m = RISKY.exec(ctx.readFile(p, 1 << 20) ?? '');
        if (m) out.push(found(w, p, true, 'written', ` (it says: ${m[0].slice(0, 80)})`));
      }
      return out;
    },
  };
}
