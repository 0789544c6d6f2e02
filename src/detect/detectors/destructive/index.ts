/** Operations that destroy work: recursive deletes of large trees, forced pushes, history rewrites. */
import type { WardenEvent } from '../../../pipeline/events.js';
import type { Detector } from '../../detector.js';
import { HOME, program } from '../../facts.js';

const MASS_DELETES = 200;
const WINDOW_US = 10_000_000;
const GIT_DESTRUCTIVE =
  /\bpush\b.*(\s--force\b|\s-f\b|\s--force-with-lease\b|\s\+\S+)|\breset\s+--hard\b|\bfilter-(branch|repo)\b|\bclean\s+-\w*f\w*d|\bbranch\s+-D\b|\breflog\s+expire\b|\bgc\s+--prune=now\b|\bupdate-ref\s+-d\b/;

export default function destructive(): Detector {
  const deletes: WardenEvent[] = [];
  return {
    id: 'destructive',
    severity: 'high',
    tags: ['destructive'],
    description: 'rm -rf of a home, root or workspace tree, many deletes at once, forced pushes and history rewrites',
    event(e, ctx) {
      if (e.type === 'exec') {
        const p = program(e);
        const line = e.argv.join(' ');
        if (p === 'git' && GIT_DESTRUCTIVE.test(line)) {
          return [{ message: `history-destroying git command: ${line.slice(0, 120)}`, events: [e], key: line }];
        }
        if (p === 'rm' && e.argv.some((a) => /^-\w*[rR]/.test(a))) {
          const roots = ['/', HOME, ctx.workspace ?? '', '~', '.', '*', '/*', `${HOME}/*`].filter(Boolean);
          const target = e.argv
            .slice(1)
            .find((a) => !a.startsWith('-') && roots.includes(a.replace(/\/+$/, '') || '/'));
          if (target)
            return [
              {
                severity: 'critical',
                message: `recursive delete of ${target}: ${line.slice(0, 120)}`,
                events: [e],
                key: line,
              },
            ];
        }
      }
      if (e.type === 'unlink' && e.result >= 0) {
        deletes.push(e);
        while (deletes.length && (deletes[0]?.timeUs ?? 0) < e.timeUs - WINDOW_US) deletes.shift();
        if (deletes.length >= MASS_DELETES) {
          const first = deletes[0] ?? e;
          return [
            {
              message: `${deletes.length} files deleted within ${(WINDOW_US / 1e6).toFixed(0)} s (from ${first.type === 'unlink' ? first.path : '?'})`,
              events: [first, e],
              key: 'mass-delete',
            },
          ];
        }
      }
      return undefined;
    },
  };
}
