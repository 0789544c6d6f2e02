/**
 * Writing what other agents will read as instructions: AGENTS.md, CLAUDE.md,
 * rules files, MCP configurations. Outside the session's workspace (another
 * project, another agent's home) it is worse.
 */
import type { WardenEvent } from '../../../model/events.js';
import type { Detector, Signal } from '../../detector.js';
import { addedLines, inDependencyTree, targetPath, UntilWriterExits, within } from '../../facts.js';

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
  /(^|\/)(AGENTS\.md|CLAUDE\.md|CLAUDE\.local\.md|GEMINI\.md|QWEN\.md|\.cursorrules|\.windsurfrules|copilot-instructions\.md|\.mcp\.json|mcp\.json|mcp_config\.json|claude_desktop_config\.json)$|\/\.claude\/(settings(\.local)?\.json|commands\/|agents\/)|\/\.cursor\/rules\/|\/\.codex\/(config\.toml|AGENTS\.md)$|\/\.(gemini|qwen)\/settings\.json$/;

/* text that speaks to an AI agent reading the project, rather than to its developers */
const TO_AGENTS =
  /\b(AI|LLM)\s*(coding\s+)?(agents?|assistants?|models?|tools?)\b|\b(coding|autonomous)\s+(agents?|assistants?)\b|\bnote (to|for) (the |any )?(agents?|assistants?|AIs?|LLMs?)\b|\bif you are an? (AI|LLM|language model|agent|assistant)\b|\b(Claude|Codex|Gemini|Copilot|Cursor)\s*:/i;
/* files any agent reads as it works: docs, and the comments in code */
const READ_BY_AGENTS = /\.(md|mdx|markdown|txt|rst|adoc|html?|[cm]?[jt]sx?|py|go|rs|rb|java|sh|ya?ml|toml|json)$/i;

/** A line added to a project file that tells an agent reading it to do something risky. */
function plantedInstruction(before: string, after: string): string | undefined {
  for (const line of addedLines(before, after)) {
    const m = TO_AGENTS.test(line) ? RISKY.exec(line) : null;
    if (m) return m[0];
  }
  return undefined;
}

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
      /* any other file of the project an agent reads (a README, a comment in code): judged by what was added */
      if (t && !t.refused && within(t.path, ctx.workspace) && READ_BY_AGENTS.test(t.path) && !inDependencyTree(t.path))
        written.note(t.path, e);
      const out: Signal[] = [];
      for (const [p, w] of written.done(e)) {
        const text = ctx.readFile(p, 1 << 20) ?? '';
        if (FILES.test(p)) {
          const m = RISKY.exec(text);
          if (m) out.push(found(w, p, true, 'written', ` (it says: ${m[0].slice(0, 80)})`));
          continue;
        }
        const says = plantedInstruction(ctx.readCommitted(p) ?? '', text);
        if (says)
          out.push({
            severity: 'medium',
            message: `instructions for agents hidden in a project file: ${p} now tells an AI agent reading it to ${says.slice(0, 80)}; documentation and code speak to developers, not to the next agent`,
            events: [w],
            key: p,
            data: { path: p, insideWorkspace: true },
          });
      }
      return out;
    },
  };
}
