/**
 * A secret read, then data leaving: the shape of exfiltration. Secrets are
 * credential files and .env files; egress is a connection or datagram to
 * another machine, or a DNS name carrying an encoded payload.
 */
import type { WardenEvent } from '../../../model/events.js';
import type { Detector } from '../../detector.js';
import { isCredentialPath } from '../../../pipeline/names.js';
import { isCompletedEgress, isEgress, program, readPath } from '../../facts.js';

/* besides credentials: .env files, keys and secrets files by their names */
const SECRET_FILE = new RegExp(
  ['(^|/)\\.env(\\.[\\w.-]+)?$', '\\.(pem|key|p12|pfx)$', '(^|/)(credentials|secrets?)(\\.(json|ya?ml|toml))?$'].join(
    '|',
  ),
);
const isSecret = (p: string): boolean => (isCredentialPath(p) || SECRET_FILE.test(p)) && !PUBLIC_CERT.test(p);
/** Public certificates and CA bundles: .pem, but nothing secret. */
const PUBLIC_CERT =
  /^\/(etc\/ssl\/certs|etc\/pki\/ca-trust|usr\/share|usr\/lib\/ssl|usr\/local\/share\/ca-certificates)\/|(^|[-_./])(ca|certs?|bundle|chain|fullchain)([-_.]|$)[^/]*$/i;
/** A variable whose name says it holds a secret: what `printenv NAME` would hand over. */
const SECRET_VAR = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)$/i;
/** env's options that take a value: what follows them is not the command */
const ENV_VALUE_OPTION = /^-(u|C|S|-unset|-chdir|-split-string)$/;

/**
 * The environment handed over whole (`env`, `printenv` with no command or name) or a variable
 * named as a secret: an agent's environment holds its API keys. `env FOO=1 cmd` runs a command.
 */
function dumpsEnvironment(e: WardenEvent & { type: 'exec' }): boolean {
  const name = program(e);
  const args = e.argv.slice(1);
  if (name === 'printenv') return args.filter((a) => !a.startsWith('-')).every((a) => SECRET_VAR.test(a));
  if (name !== 'env') return false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (ENV_VALUE_OPTION.test(a)) i++;
    else if (!a.startsWith('-') && !a.includes('=')) return false; /* the command env runs */
  }
  return true;
}

/** What a secret-bearing event read: a secret file's path, or the environment. */
function secretSource(e: WardenEvent): string | undefined {
  const read = readPath(e);
  if (read && (isSecret(read) || /^\/proc\/(self|\d+)\/environ$/.test(read))) return read;
  if (e.type === 'exec' && dumpsEnvironment(e)) return `the environment (${e.argv.join(' ')})`;
  return undefined;
}

/** A label too long and too random to be a host name someone chose. */
const ENCODED_LABEL = /(^|\.)([a-z0-9+/=_-]{32,})\./i;

type Connect = WardenEvent & { type: 'connect' };

/** Outside connections still open, by the pid that made them: a channel ready before any secret. */
class HeldChannels {
  private readonly held = new Map<number, Connect>();
  private readonly parentOf = new Map<number, number>();

  see(e: WardenEvent): void {
    /* the forker is whose sockets a child holds, whoever its parent is later */
    if (e.type === 'fork') this.parentOf.set(e.childPid, e.pid);
    if (e.type === 'exit') this.held.delete(e.pid);
    if (e.type === 'connect' && isCompletedEgress(e) && e.dport !== 53) this.held.set(e.pid, e);
  }

  /** A connection the reader, or a process it descends from (whose sockets it inherits), holds open. */
  of(pid: number): Connect | undefined {
    let p: number | undefined = pid;
    for (let depth = 0; p !== undefined && depth < 64; depth++) {
      const c = this.held.get(p);
      if (c) return c;
      p = this.parentOf.get(p);
    }
    return undefined;
  }
}

export default function secretExfil(): Detector {
  let secretRead: { event: WardenEvent; what: string } | undefined;
  const channels = new HeldChannels();
  return {
    id: 'secret-exfil',
    severity: 'critical',
    tags: ['exfiltration'],
    description:
      'a credential or .env file read, then a connection, datagram or encoded DNS name leaving the machine; or read while a connection out is held open',
    event(e) {
      channels.see(e);
      const read = secretSource(e);
      if (read) {
        secretRead ??= { event: e, what: read };
        const channel = channels.of(e.pid);
        /* connected first, read after: no egress event follows (a write on a connected socket is not traced) */
        if (channel)
          return [
            {
              message: `${read} was read by ${e.comm} (pid ${e.pid}) while ${channel.comm} (pid ${channel.pid}) held a connection to ${channel.daddr}:${channel.dport}, opened before it: the secret can leave over it unseen`,
              events: [channel, e],
              key: `${channel.daddr}:${channel.dport}`,
              data: { secret: read, destination: `${channel.daddr}:${channel.dport}` },
            },
          ];
      }
      if (e.type === 'dns' && ENCODED_LABEL.test(e.name)) {
        const first = secretRead;
        return [
          {
            severity: first ? 'critical' : 'high',
            message: first
              ? `${first.what} was read, then a DNS query carried an encoded label: ${e.name.slice(0, 80)}; no host name someone chose looks like that`
              : `a DNS query carried an encoded label (DNS tunnelling): ${e.name.slice(0, 80)}; no host name someone chose looks like that`,
            events: first ? [first.event, e] : [e],
            key: `dns:${first ? 'after-secret' : 'bare'}`,
          },
        ];
      }
      /* a DNS lookup is not a channel by itself: an encoded name is (above) */
      if (secretRead && isEgress(e) && e.dport !== 53) {
        const path = secretRead.what;
        return [
          {
            message: `${path} was read, then ${e.comm} (pid ${e.pid}) ${e.decision?.verdict === 'denied' ? 'tried to send data (refused)' : 'sent data'} to ${e.daddr}:${e.dport}; a secret and a connection out in one session is how data leaves`,
            events: [secretRead.event, e],
            key: `${e.daddr}:${e.dport}`,
            data: { secret: path, destination: `${e.daddr}:${e.dport}` },
          },
        ];
      }
      return undefined;
    },
  };
}
