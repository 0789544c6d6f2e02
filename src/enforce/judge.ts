/**
 * Names the decision behind each action: which rule of the session's policy
 * speaks to it, what it says, and which mechanism made it hold. A refusal the
 * kernel made is `denied` by that mechanism; in audit mode a forbidden action
 * is `would-deny`; a forbidden action that happened anyway in enforce mode is
 * `would-deny` by `unenforced`, so a gap is never shown as a success.
 */
import type { Decision, WardenEvent } from '../pipeline/events.js';
import { opensForWrite } from '../pipeline/names.js';
import type { Access, CompiledPolicy } from '../policy/compile.js';
import { decideConnect, decideFile, type Decision as RuleDecision } from '../policy/evaluate.js';

const REFUSED = new Set([-1, -13]); /* EPERM, EACCES */

/** Which mechanism enforces a rule, by the rule's list. */
function mechanismOf(rule: string): string {
  if (rule.startsWith('files.allowWrite') || rule.startsWith('exec.allow')) return 'landlock';
  if (rule.startsWith('network.')) return 'cgroup-sock-addr';
  return 'fanotify';
}

export class Judge {
  constructor(
    readonly policy: CompiledPolicy,
    /** mechanisms that are really active in this session */
    private readonly active: ReadonlySet<string>,
    /** names each address was resolved from (by the session's DNS) */
    private readonly namesOf: (addr: string) => string[] = () => [],
  ) {}

  private file(path: string, access: Access): RuleDecision {
    return decideFile(this.policy, path, access);
  }

  private rule(e: WardenEvent): RuleDecision | undefined {
    switch (e.type) {
      case 'open':
        return this.file(e.path, opensForWrite(e.flags) ? 'write' : 'read');
      case 'unlink':
      case 'mkdir':
      case 'chmod':
      case 'truncate':
        return this.file(e.path, 'write');
      case 'rename': {
        const from = this.file(e.path, 'write');
        return from.verdict === 'denied' ? from : this.file(e.newPath, 'write');
      }
      case 'exec':
        return this.file(e.exe, 'exec');
      case 'exec-failed':
        return this.file(e.path, 'exec');
      case 'connect':
      case 'send':
        return e.family === 'ipv4' || e.family === 'ipv6'
          ? decideConnect(this.policy, e.daddr, e.dport, this.namesOf(e.daddr))
          : undefined;
      default:
        return undefined;
    }
  }

  /** The decision for an event, or undefined when no rule speaks to it. */
  judge(e: WardenEvent): Decision | undefined {
    const d = this.rule(e);
    if (!d || (d.verdict === 'allowed' && d.rule === 'default')) return undefined;
    const base = { rule: d.rule, reason: d.reason, policy: this.policy.name };
    const mechanism = mechanismOf(d.rule);
    if (d.verdict === 'allowed') return { ...base, verdict: 'allowed', mechanism };
    if (this.policy.mode === 'audit') return { ...base, verdict: 'would-deny', mechanism: 'audit' };
    const refused = 'result' in e && typeof e.result === 'number' && REFUSED.has(e.result);
    if (refused && this.active.has(mechanism)) return { ...base, verdict: 'denied', mechanism };
    return { ...base, verdict: 'would-deny', mechanism: 'unenforced', reason: `${d.reason}; nothing stopped it` };
  }
}
