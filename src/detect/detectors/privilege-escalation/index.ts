/** Reaching for more privilege: sudo and friends, namespace and mount tools, setuid bits, capability changes. */
import type { WardenEvent } from '../../../model/events.js';
import type { Detector, Signal } from '../../detector.js';
import { program, shellCommands } from '../../facts.js';

const PRIVILEGE_TOOLS = /^(sudo|su|pkexec|doas|runuser)$/;
/* new namespaces (root in a user namespace), another process's, a new root, mounts undone: ways
 * out of the limits the session runs in */
const ESCAPE_TOOLS = /^(unshare|nsenter|chroot|umount)$/;

/** A shell line's command that reaches out of the session's namespaces or mounts. */
function escapeTool(cmds: Array<{ name: string; args: string[] }>): string | undefined {
  for (const c of cmds) {
    if (ESCAPE_TOOLS.test(c.name)) return c.name;
    /* mount with no arguments lists the mounts; with a type, options or a bind it makes one */
    if (
      c.name === 'mount' &&
      c.args.some((a) => /^(-t|-o|--bind|--rbind|--move|-B|-R|-M)$/.test(a) || a.startsWith('--types'))
    )
      return 'mount';
  }
  return undefined;
}

/** A privilege tool, or a namespace or mount tool, run or named by a shell line (which tries it even where it is not installed). */
function toolRun(e: Extract<WardenEvent, { type: 'exec' }>): Signal | undefined {
  const cmds = shellCommands(e);
  const named = [program(e), ...cmds.map((c) => c.name)].find((p) => PRIVILEGE_TOOLS.test(p));
  if (named)
    return {
      message: `privilege tool run: ${e.argv.join(' ').slice(0, 120)}; an agent works with the rights it was given`,
      events: [e],
      key: `exec:${named}`,
    };
  const escape = escapeTool([{ name: program(e), args: e.argv.slice(1) }, ...cmds]);
  return escape
    ? {
        message: `namespace or mount tool run: ${e.argv.join(' ').slice(0, 120)}; it reaches out of the limits the session runs in (masked files, its own namespaces), which no coding task needs`,
        events: [e],
        key: `escape:${escape}`,
      }
    : undefined;
}

export default function privilegeEscalation(): Detector {
  return {
    id: 'privilege-escalation',
    severity: 'high',
    tags: ['privilege-escalation'],
    description:
      'sudo, su, pkexec or doas run; unshare, nsenter, chroot or a mount run; a setuid or setgid bit set; capabilities or ids changed',
    event(e) {
      if (e.type === 'exec') {
        const s = toolRun(e);
        if (s) return [s];
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
