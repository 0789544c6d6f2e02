/** Something set up to run again after the session: cron, systemd, at, autostart. */
import type { Detector } from '../../detector.js';
import { program, writtenPath } from '../../facts.js';

const PLACES =
  /^\/etc\/(cron(tab|\.d|\.daily|\.hourly|\.weekly|\.monthly)|systemd\/system|init\.d|rc\.local|xdg\/autostart)|^\/var\/spool\/(cron|at)|^\/(usr\/)?lib\/systemd\/system|\/\.config\/(systemd|autostart)\/|\/\.local\/share\/systemd\//;
const PROGRAMS = /^(crontab|at|batch|systemd-run|launchctl)$/;

export default function persistence(): Detector {
  return {
    id: 'persistence',
    severity: 'high',
    tags: ['persistence'],
    description: 'a cron job, systemd unit, at job or autostart entry created',
    event(e) {
      const path = writtenPath(e);
      if (path && PLACES.test(path))
        return [
          {
            message: `persistence: ${path} written by ${e.comm}; it runs again after the session, unwatched`,
            events: [e],
            key: path,
          },
        ];
      if (e.type === 'exec') {
        const p = program(e);
        const enable = p === 'systemctl' && /\b(enable|link|edit)\b/.test(e.argv.join(' '));
        if ((PROGRAMS.test(p) && !e.argv.includes('-l')) || enable) {
          return [
            {
              message: `persistence: ${e.argv.join(' ').slice(0, 120)}; it schedules work to run after the session, unwatched`,
              events: [e],
              key: e.argv.join(' '),
            },
          ];
        }
      }
      return undefined;
    },
  };
}
