/** Reaching for more privilege: sudo and friends, setuid bits, capability changes. */
import type { Detector } from '../../detector.js';
import { program, shellCommands } from '../../facts.js';

const PRIVILEGE_TOOLS = /^(sudo|su|pkexec|doas|runuser)$/;

export default function privilegeEscalation(): Detector {
  return {
    id: 'privilege-escalation',
    severity: 'high',
    tags: ['privilege-escalation'],
    description: 'sudo, su, pkexec or doas run; a setuid or setgid bit set; capabilities or ids changed',
    event(e) {
      if (e.type === 'exec') {
        /* run, or named by a shell line (which tries it even where it is not installed) */
        const named = [program(e), ...shellCommands(e).map((c) => c.name)].find((p) => PRIVILEGE_TOOLS.test(p));
        if (named)
          return [
            {
              message: `privilege tool run: ${e.argv.join(' ').slice(0, 120)}; an agent works with the rights it was given`,
              events: [e],
              key: `exec:${named}`,
            },
          ];
      }
      if (e.type === 'chmod' && e.result >= 0 && (e.mode & 0o6000) !== 0) {
        return [
          {
            message: `setuid/setgid bit set on ${e.path} (mode ${e.mode.toString(8)}); it lets anyone run it with its owner's rights`,
            events: [e],
            key: `chmod:${e.path}`,
          },
        ];
      }
      if (e.type === 'setuid' && e.result >= 0 && e.ids.some((id) => id === 0) && e.uid !== 0) {
        return [
          {
            severity: 'critical',
            message: `${e.syscall} to root by uid ${e.uid}`,
            events: [e],
            key: `setuid:${e.pid}`,
          },
        ];
      }
      if (e.type === 'capset' && e.result >= 0 && e.uid !== 0) {
        return [
          {
            severity: 'medium',
            message: `capabilities changed by ${e.comm} (uid ${e.uid})`,
            events: [e],
            key: `capset:${e.pid}`,
          },
        ];
      }
      return undefined;
    },
  };
}
