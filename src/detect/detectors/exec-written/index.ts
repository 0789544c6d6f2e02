/**
 * Running what the session itself wrote or downloaded: a new binary or
 * script, never reviewed, executed. A file written by a process that had
 * talked to another machine counts as downloaded, wherever it is; a file
 * written outside the workspace counts too. Building and running one's own
 * code inside the workspace is development, not a finding.
 */
import type { Detector } from '../../detector.js';
import type { WardenEvent } from '../../../model/events.js';
import { isEgress, program, writtenPath } from '../../facts.js';

const INTERPRETER = /^((ba|z|da|k)?sh|python[\d.]*|node|nodejs|perl|ruby|php|deno|bun|lua)$/;

export default function execWritten(): Detector {
  const written = new Map<string, { event: WardenEvent; downloaded: boolean }>();
  const talked = new Set<number>();
  return {
    id: 'exec-written',
    severity: 'medium',
    tags: ['untrusted-execution'],
    description: 'a program or script the session wrote or downloaded, then executed',
    event(e, ctx) {
      /* a name lookup downloads nothing */
      if (isEgress(e) && e.dport !== 53) talked.add(e.pid);
      const path = writtenPath(e);
      if (path && e.attribution !== 'agent-runtime') written.set(path, { event: e, downloaded: talked.has(e.pid) });
      if (e.type !== 'exec') return undefined;
      /* the program itself, or the script an interpreter was given */
      const script = INTERPRETER.test(program(e)) ? e.argv.slice(1).find((a) => !a.startsWith('-')) : undefined;
      const target = [e.exe, script].find((p): p is string => p !== undefined && written.has(p));
      const w = target ? written.get(target) : undefined;
      if (!target || !w) return undefined;
      const inWorkspace = ctx.workspace !== null && target.startsWith(`${ctx.workspace}/`);
      if (inWorkspace && !w.downloaded) return undefined;
      return [
        {
          severity: w.downloaded ? 'high' : 'medium',
          message: `${w.downloaded ? 'downloaded' : 'freshly written'} ${target} executed by ${e.comm}; ${w.downloaded ? 'code fetched from elsewhere' : 'code written outside the project'} ran without review`,
          events: [w.event, e],
          key: target,
          data: { path: target, downloaded: w.downloaded },
        },
      ];
    },
  };
}
