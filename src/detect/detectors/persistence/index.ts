/** Something set up to run again after the session: cron, systemd, at, autostart. */
import type { Detector } from '../../detector.js';
import { program, shellCommands, targetPath } from '../../facts.js';

const PLACES =
  /^\/etc\/(cron(tab|\.d|\.daily|\.hourly|\.weekly|\.monthly)|systemd\/system|init\.d|rc\.local|xdg\/autostart)|^\/var\/spool\/(cron|at)|^\/(usr\/)?lib\/systemd\/system|\/\.config\/(systemd|autostart)(\/|$)|\/\.local\/share\/systemd(\/|$)/;
const PROGRAMS = /^(crontab|at|batch|systemd-run|launchctl)$/;

export default function persistence(): Detector {
  return {
    id: 'persistence',
    severity: 'high',
    tags: ['persistence'],
    description: 'a cron job, systemd unit, at job or autostart entry created',
    event(e) {
      const t = targetPath(e);
      if (t && PLACES.test(t.path))
        return [
          {
            message: `persistence: ${t.path} ${t.refused ? 'attempted (refused)' : 'written'} by ${e.comm}; it runs again after the session, unwatched`,
            events: [e],
            key: t.path,
          },
        ];
      if (e.type === 'exec') {
        /* run, or named by a shell line (which tries it even where it is not installed) */
        const schedules = [{ name: program(e), args: e.argv.slice(1) }, ...shellCommands(e)].some(
          (c) =>
            (PROGRAMS.test(c.name) && !c.args.includes('-l')) ||
            (c.name === 'systemctl' && /\b(enable|link|edit)\b/.test(c.args.join(' '))),
        );
        if (schedules) {
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
