/**
 * Names the decision behind each action: which rule of the session's policy
 * speaks to it, what it says, and which mechanism made it hold. A refusal the
 * kernel made is `denied` by that mechanism; in audit mode a forbidden action
 * is `would-deny`; a forbidden action that happened anyway in enforce mode is
 * `would-deny` by `unenforced`, so a gap is never shown as a success.
 */
import { existsSync } from 'node:fs';
import type { Identity } from './exec-content.js';
import type { Decision, WardenEvent } from '../model/events.js';
import { DEVICES } from './floor.js';
import { isLoopback, opensForWrite, opensNameOnly } from '../pipeline/names.js';
import type { Access, CompiledPolicy, PathRule } from '../policy/compile.js';
import { decideConnect, decideFile, decideUnix, type Decision as RuleDecision } from '../policy/evaluate.js';

/* EPERM, EACCES; EROFS, EBUSY and EXDEV from the launch floor's read-only binds */
const REFUSED = new Set([-1, -13, -30, -16, -18]);
const BY_MOUNT = new Set([-30, -16, -18]);

/* a rule's decision, and the mechanism that held it where the rule alone says (else the call's error does) */
type Ruling = RuleDecision & { mechanism?: string };

const resultOf = (e: WardenEvent): number => ('result' in e && typeof e.result === 'number' ? e.result : 0);

/** Refused: the error is one a Warden mechanism (or the floor's read-only binds) gives, not one the call met by itself. */
export const refusedByError = (e: WardenEvent): boolean => REFUSED.has(resultOf(e));

/* failed by itself (ENOENT, ECONNREFUSED): it did not happen, and nothing had to stop it (ESRCH is the PID namespace's) */
export const failedByItself = (e: WardenEvent): boolean => {
  const result = resultOf(e);
  /* EINPROGRESS: a connect under way, not failed */
  return result < 0 && !REFUSED.has(result) && result !== -3 && result !== -115;
};

/**
 * The mechanism a refused call's error names, where only one gives it: the
 * read-only binds (EROFS, EBUSY, EXDEV), the PID namespace (ESRCH: the pid
 * names nothing), the file gate (EPERM on an open or exec), the supervisor
 * (EACCES on a call that makes, moves or removes a name; on an open, EACCES
 * may be Landlock's too).
 */
function refusedBy(e: WardenEvent): string | undefined {
  const result = resultOf(e);
  if (BY_MOUNT.has(result)) return 'mount-ns';
  if (result === -3) return 'pid-ns';
  if (result === -1 && (e.type === 'open' || e.type === 'exec' || e.type === 'exec-failed')) return 'fanotify';
  if (result === -13 && e.type !== 'open' && e.type !== 'exec' && e.type !== 'exec-failed') return 'supervisor';
  return undefined;
}

/** Which mechanism enforced a rule: by the rule's list, and for a protected path by the error the call got. */
function mechanismOf(rule: string, e: WardenEvent): string {
  if (rule === DNS_RULE) return 'dns-redirect';
  if (rule.startsWith('files.allowWrite') || rule.startsWith('exec.allow')) return 'landlock';
  if (rule === 'network.unix') return 'cgroup-unix';
  if (rule.startsWith('network.')) return 'cgroup-sock-addr';
  /* EACCES on an open of a protected path: the supervisor refused its O_CREAT */
  return refusedBy(e) ?? (resultOf(e) === -13 && e.type === 'open' ? 'supervisor' : 'fanotify');
}

/** What Warden protects of itself in every session, whatever the policy. */
export interface SelfProtection {
  /** never writable by the agent */
  paths: string[];
  /** never opened by the agent at all (the API token): the file gate guards them */
  secrets?: string[];
  /** Warden's own processes: never signalled or traced by the agent */
  pids: () => number[];
}

const SELF = 'warden.self-protection';
/** Port-53 traffic the kernel redirected to Warden's resolver. */
export const DNS_RULE = 'warden.dns';
/* a file descriptor's own name, or a name beneath a directory's (Bun unlinks /proc/self/fd/15/x.output) */
const FD_LINK = /^\/(proc\/(self|thread-self|\d+)(\/task\/\d+)?\/fd|dev\/fd)\/\d+(\/|$)/;
const beneath = (p: string, dir: string): boolean => p === dir || p.startsWith(`${dir}/`);

/** The rule named when a bind to another host's interface is refused. */
const LISTEN_RULE = 'network.listen';

export class Judge {
  /* what the session itself listens on: reachable by it whatever the allow list (the kernel knows them too) */
  private readonly ownPorts = new Set<number>();
  private readonly ownUnix = new Set<string>();

  constructor(
    readonly policy: CompiledPolicy | null,
    /** mechanisms that are really active in this session */
    private readonly active: ReadonlySet<string>,
    private readonly self: SelfProtection,
    /** names each address was resolved from (by the session's DNS) */
    private readonly namesOf: (addr: string) => string[] = () => [],
    /** whether the session's DNS goes to Warden's resolver */
    private readonly dnsRedirect: () => boolean = () => false,
    /** whether the launch floor masks a path (it is an empty, read-only stand-in in the session) */
    private readonly masked: (path: string) => boolean = () => false,
    /** which denied program (or loader) a file is by its bytes: the launch floor refuses running those */
    private readonly identify: (path: string) => Identity | undefined = () => undefined,
  ) {}

  /* a run the floor refused by its bytes (EPERM where no rule names the path): which program it was */
  private byContent(
    e: Extract<WardenEvent, { type: 'exec-failed' }>,
    policy: CompiledPolicy,
  ): RuleDecision | undefined {
    if (resultOf(e) !== -1 || policy.mode !== 'enforce') return undefined;
    const id = this.identify(e.path);
    if (!id) return undefined;
    if ('loader' in id) {
      return {
        verdict: 'denied',
        rule: 'exec.deny',
        reason: `${e.path} is the dynamic loader, run as a program: refused while programs are denied (it would run any file unchecked)`,
      };
    }
    const d = decideFile(policy, id.program, 'exec');
    return { verdict: 'denied', rule: d.rule, reason: `${e.path} has the bytes of ${id.program}: ${d.reason}` };
  }

  /** A connect or send: the Unix socket or address it reaches, under the policy. */
  private reach(
    e: Extract<WardenEvent, { type: 'connect' | 'send' }>,
    policy: CompiledPolicy,
  ): RuleDecision | undefined {
    if (e.family === 'unix') {
      if (this.ownUnix.has(e.daddr)) return undefined;
      /* nothing there to reach (glibc asking for an nscd that is not running): no violation */
      if (resultOf(e) === -1 && e.daddr.startsWith('/') && !existsSync(e.daddr)) return undefined;
      const d = decideUnix(policy, e.daddr);
      /* let through in enforce mode: a socket the session bound under another name */
      return d.verdict === 'denied' && policy.mode === 'enforce' && resultOf(e) >= 0 ? undefined : d;
    }
    if (e.family !== 'ipv4' && e.family !== 'ipv6') return undefined;
    if (this.dnsRedirect() && e.dport === 53) {
      return { verdict: 'allowed', rule: DNS_RULE, reason: "redirected to Warden's resolver" };
    }
    const d = decideConnect(policy, e.daddr, e.dport, this.namesOf(e.daddr));
    if (d.verdict === 'denied' && isLoopback(e.daddr) && this.ownListener(e, policy)) {
      return { verdict: 'allowed', rule: 'default', reason: "a listener of the session's own" };
    }
    return d;
  }

  /**
   * A change a denyWrite rule refused that went through all the same: only the supervisor lets one
   * through, and only where the rule says it may (`lets`): a git config rewrite it judged by content
   * and wrote itself (sensor/launcher/gitconfig.c), or the agent program's own file (scope: tools,
   * bound read-only and handed to the agent program alone, sensor/launcher/agentfile.c).
   */
  private supervisorLetThrough(
    e: WardenEvent,
    d: RuleDecision | undefined,
    policy: CompiledPolicy,
    lets: (r: PathRule) => boolean,
  ): d is RuleDecision {
    return (
      d?.verdict === 'denied' &&
      resultOf(e) >= 0 &&
      policy.mode === 'enforce' &&
      this.active.has('supervisor') &&
      policy.files.denyWrite.some((r) => r.id === d.rule && lets(r))
    );
  }

  private agentsOwn(e: WardenEvent, d: RuleDecision | undefined, policy: CompiledPolicy): Ruling | undefined {
    if (!this.supervisorLetThrough(e, d, policy, (r) => r.scope === 'tools')) return undefined;
    return {
      verdict: 'allowed',
      rule: d.rule,
      reason: "the agent program's own file (scope: tools): changed by the agent program itself, which the rule lets",
      mechanism: 'supervisor',
    };
  }

  /** Tampering with Warden: refused by the floor whatever the policy says. */
  private selfProtection(e: WardenEvent): Decision | undefined {
    let what: string | undefined;
    if (e.type === 'kill' || e.type === 'ptrace') {
      if (this.self.pids().includes(Math.abs(e.target))) what = `${e.type} of Warden (pid ${e.target})`;
    } else {
      const written = this.writtenPaths(e).find((p) => this.self.paths.some((d) => beneath(p, d)));
      if (written) what = `write to ${written}, which Warden protects`;
      if (!what && e.type === 'open' && this.self.secrets?.includes(e.path)) {
        what = `open of ${e.path}, which only Warden may read`;
      }
    }
    if (!what) return undefined;
    /* ENOENT: a tracing file Bun tries at start-up; nothing was attempted against Warden */
    if (failedByItself(e)) return undefined;
    const refused = resultOf(e) < 0;
    const mechanism = refusedBy(e) ?? (e.type === 'kill' ? 'landlock-scope' : 'landlock');
    return {
      verdict: refused ? 'denied' : 'would-deny',
      rule: SELF,
      mechanism: refused ? mechanism : 'unenforced',
      reason: refused ? what : `${what}; nothing stopped it`,
      policy: this.policy?.name ?? 'none',
    };
  }

  /* a file descriptor's own name (tar's chmod of /proc/self/fd/3): the file it is, not procfs */
  private writtenPaths(e: WardenEvent): string[] {
    return this.namedPaths(e).filter((p) => !FD_LINK.test(p));
  }

  private namedPaths(e: WardenEvent): string[] {
    switch (e.type) {
      case 'open':
        return opensForWrite(e.flags) ? [e.path] : [];
      case 'unlink':
      case 'mkdir':
      case 'chmod':
      case 'truncate':
      case 'symlink':
      case 'mknod':
        return [e.path];
      case 'rename':
      case 'link':
        return [e.path, e.newPath];
      default:
        return [];
    }
  }

  private rule(e: WardenEvent, policy: CompiledPolicy): Ruling | undefined {
    /* a name through a descriptor names a file the judge cannot see (the kernel decided it) */
    const file = (path: string, access: Access): RuleDecision | undefined =>
      (access === 'write' && DEVICES.some((d) => beneath(path, d))) || FD_LINK.test(path)
        ? undefined
        : decideFile(policy, path, access);
    switch (e.type) {
      case 'open': {
        /* an O_PATH open reads nothing (Claude Code resolving the paths a command names) */
        if (opensNameOnly(e.flags)) return undefined;
        const d = file(e.path, opensForWrite(e.flags) ? 'write' : 'read');
        return opensForWrite(e.flags) ? (this.agentsOwn(e, d, policy) ?? d) : d;
      }
      case 'unlink':
      case 'mkdir':
      case 'chmod':
      case 'truncate':
      case 'symlink':
      case 'mknod':
        return file(e.path, 'write');
      case 'rename': {
        const from = file(e.path, 'write');
        if (from?.verdict === 'denied') return from;
        const to = file(e.newPath, 'write');
        const own = this.agentsOwn(e, to, policy);
        if (own) return own;
        return this.supervisorLetThrough(e, to, policy, (r) => r.allowChanges === 'git-config')
          ? {
              verdict: 'allowed',
              rule: to.rule,
              reason: `${e.newPath}: a change that sets nothing able to run a command, judged by its content`,
              mechanism: 'supervisor',
            }
          : to;
      }
      case 'link': {
        /* another name for a protected file is a way to change it, or to read it */
        const from = file(e.path, 'write');
        const read = from?.verdict === 'denied' ? from : file(e.path, 'read');
        return read?.verdict === 'denied' ? read : file(e.newPath, 'write');
      }
      case 'exec':
        return file(e.exe, 'exec');
      case 'exec-failed': {
        const d = file(e.path, 'exec');
        return d?.verdict === 'denied' ? d : (this.byContent(e, policy) ?? d);
      }
      case 'bind':
      case 'listen':
        this.noteOwn(e);
        if (e.type === 'bind' && policy.network.listen === 'local' && resultOf(e) === -1) {
          return { verdict: 'denied', rule: LISTEN_RULE, reason: `a listener on ${e.laddr} would face other hosts` };
        }
        return undefined;
      case 'connect':
      case 'send':
        return this.reach(e, policy);
      default:
        return undefined;
    }
  }

  private noteOwn(e: Extract<WardenEvent, { type: 'bind' | 'listen' }>): void {
    if (resultOf(e) < 0) return;
    if (e.family === 'unix' && e.laddr && !e.laddr.startsWith('@')) this.ownUnix.add(e.laddr);
    else if (e.lport) this.ownPorts.add(e.lport);
  }

  /* the kernel lets a session reach loopback listeners it bound: a loopback call it did not refuse is one */
  private ownListener(e: Extract<WardenEvent, { type: 'connect' | 'send' }>, policy: CompiledPolicy): boolean {
    if (this.ownPorts.has(e.dport)) return true;
    return policy.mode === 'enforce' && this.active.has('cgroup-sock-addr') && resultOf(e) !== -1;
  }

  /**
   * A change refused by the read-only stand-in the floor mounts over an unreadable file (an unlink of
   * another project's .env gets EBUSY): the write rules allow the place, the read rule is what held.
   */
  private maskedChange(e: WardenEvent): Decision | undefined {
    const path = 'path' in e && typeof e.path === 'string' ? e.path : undefined;
    if (!this.policy || !path || !BY_MOUNT.has(resultOf(e)) || !this.masked(path)) return undefined;
    const r = decideFile(this.policy, path, 'read');
    if (r.verdict !== 'denied') return undefined;
    return {
      verdict: 'denied',
      rule: r.rule,
      mechanism: 'mount-ns',
      reason: `${r.reason}: masked in the session by a read-only stand-in, it cannot be changed or removed`,
      policy: this.policy.name,
    };
  }

  /** The decision for an event, or undefined when no rule speaks to it. */
  judge(e: WardenEvent): Decision | undefined {
    const self = this.selfProtection(e);
    if (self || !this.policy) return self;
    const d = this.rule(e, this.policy);
    if (!d || (d.verdict === 'allowed' && d.rule === 'default')) return undefined;
    const base = { rule: d.rule, reason: d.reason, policy: this.policy.name };
    const mechanism = d.mechanism ?? mechanismOf(d.rule, e);
    if (d.verdict === 'allowed') return this.maskedChange(e) ?? { ...base, verdict: 'allowed', mechanism };
    /* failed by itself (ENOENT): nothing happened that a policy had to stop, in audit mode as in enforce */
    if (failedByItself(e)) return undefined;
    if (this.policy.mode === 'audit') return { ...base, verdict: 'would-deny', mechanism: 'audit' };
    const refused = refusedByError(e);
    if (refused && this.active.has(mechanism)) return { ...base, verdict: 'denied', mechanism };
    const path = 'path' in e && typeof e.path === 'string' ? e.path : e.type === 'exec' ? e.exe : '';
    if (path && this.masked(path) && this.active.has('mount-ns')) {
      return {
        ...base,
        verdict: 'denied',
        mechanism: 'mount-ns',
        reason: `${d.reason}: masked in the session, it reads as empty`,
      };
    }
    return { ...base, verdict: 'would-deny', mechanism: 'unenforced', reason: `${d.reason}; nothing stopped it` };
  }
}
