/**
 * Running what the session itself wrote or downloaded: a new binary or
 * script, never reviewed, executed. A file written by a process that had
 * talked to another machine counts as downloaded.
 */
import type { Detector } from '../../detector.js';
import type { WardenEvent } from '../../../pipeline/events.js';
import { isEgress, writtenPath } from '../../facts.js';

export default function execWritten(): Detector {
  const written = new Map<string, { event: WardenEvent; downloaded: boolean }>();
  const talked = new Set<number>();
  return {
    id: 'exec-written',
    severity: 'medium',
    tags: ['untrusted-execution'],
    description: 'a program or script the session wrote or downloaded, then executed',
    event(e) {
      if (isEgress(e)) talked.add(e.pid);
      const path = writtenPath(e);
      if (path) written.set(path, { event: e, downloaded: talked.has(e.pid) });
      if (e.type !== 'exec') return undefined;
      /* the program itself, or a script given to an interpreter */
      const target = [e.exe, ...e.argv.slice(1, 3)].find((p) => written.has(p));
      const w = target ? written.get(target) : undefined;
      if (!target || !w) return undefined;
      return [
        {
          severity: w.downloaded ? 'high' : 'medium',
          message: `${w.downloaded ? 'downloaded' : 'freshly written'} ${target} executed by ${e.comm}`,
          events: [w.event, e],
          key: target,
          data: { path: target, downloaded: w.downloaded },
        },
      ];
    },
  };
}
