/**
 * Agent CLIs that ignore the proxy's environment variables and need a
 * command-line setting instead. Codex takes its OpenAI base URL only from its
 * configuration (`-c openai_base_url=...`), so `warden run` adds that setting
 * unless the user gave one.
 */
import { basename } from 'node:path';

export interface ProxiedCommand {
  command: string[];
  /** what was changed, for the user */
  note?: string;
}

export function throughProxy(command: string[], proxyBase: string): ProxiedCommand {
  const [program, ...args] = command;
  if (!program || basename(program) !== 'codex') return { command };
  if (args.some((a) => /\bopenai_base_url\s*=/.test(a))) return { command };
  const setting = `openai_base_url="${proxyBase}/openai"`;
  return {
    command: [program, '-c', setting, ...args],
    note: `codex reads its API address only from its configuration: added -c ${setting}`,
  };
}
