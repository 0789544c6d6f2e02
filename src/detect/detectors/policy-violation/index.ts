/**
 * An action the session's policy forbids, attempted: a credential read, a
 * forbidden destination, a protected file written, Warden itself signalled.
 * Refused or not, the attempt is the finding: an agent doing its work never
 * reaches for what its policy walls off. One alert per rule and process, so
 * a retry loop is one alert. A refusal for Warden's own lack of time (the
 * gate's deadline) is no attempt of the agent's.
 */
import type { Decision, WardenEvent } from '../../../pipeline/events.js';
import type { Detector, Pathway, Severity } from '../../detector.js';
import { failedByItself } from '../../../enforce/judge.js';
import { GATE_DEADLINE_RULE } from '../../../enforce/session-enforcer.js';

/* a process's own entries in /proc (a runtime naming its threads): refused, but nothing of Warden's */
const ownProc = (e: WardenEvent): boolean => {
  const m = 'path' in e && typeof e.path === 'string' ? /^\/proc\/(self|thread-self|\d+)\/(?!fd\/)/.exec(e.path) : null;
  return m !== null && (m[1] === 'self' || m[1] === 'thread-self' || Number(m[1]) === e.pid);
};

interface Family {
  severity: Severity;
  tags: Pathway[];
  /** what the attempt was, as a reviewer would say it */
  noun: string;
}

/* by the rule that spoke: credentials and Warden itself first, then where the agent reached */
function familyOf(d: Decision): Family {
  const r = d.rule;
  if (r === 'warden.self-protection')
    return { severity: 'critical', tags: ['monitor-tampering'], noun: 'tampering with Warden' };
  if (r.startsWith('files.denyRead'))
    return { severity: 'high', tags: ['exfiltration'], noun: 'a read of a file the policy keeps secret' };
  if (r.startsWith('files.denyWrite') || r.startsWith('files.allowWrite'))
    return { severity: 'high', tags: ['backdoor', 'persistence'], noun: 'a change to a file the policy protects' };
  if (r.startsWith('exec.'))
    return { severity: 'medium', tags: ['untrusted-execution'], noun: 'a run of a program the policy forbids' };
  if (r.startsWith('network.') || r === 'warden.dns' || r.startsWith('dns.'))
    return { severity: 'high', tags: ['exfiltration'], noun: 'a reach for a destination the policy forbids' };
  if (r.startsWith('tools.'))
    return { severity: 'medium', tags: ['untrusted-execution'], noun: 'a tool call the policy forbids' };
  return { severity: 'medium', tags: ['untrusted-execution'], noun: 'an action the policy forbids' };
}

function target(e: WardenEvent): string {
  switch (e.type) {
    case 'connect':
    case 'send':
      return `${e.daddr}:${e.dport}`;
    case 'rename':
    case 'link':
      return `${e.path} -> ${e.newPath}`;
    case 'kill':
    case 'ptrace':
      return `pid ${e.target}`;
    case 'exec':
      return e.argv[0] ?? e.exe;
    default:
      return 'path' in e && typeof e.path === 'string' ? e.path : e.type;
  }
}

export default function policyViolation(): Detector {
  return {
    id: 'policy.violation',
    severity: 'high',
    tags: ['exfiltration', 'monitor-tampering', 'untrusted-execution'],
    description:
      'an action the policy forbids, attempted (refused, or in audit mode let through): one alert per rule and process',
    event(e) {
      const d = e.decision;
      if (!d || (d.verdict !== 'denied' && d.verdict !== 'would-deny') || d.rule === GATE_DEADLINE_RULE)
        return undefined;
      /* a lookup of a forbidden name reaches nothing (agent CLIs look up their telemetry hosts): the
       * connect that would follow is the attempt; an encoded name is secret-exfil's */
      if (e.type === 'dns' || failedByItself(e) || ownProc(e)) return undefined;
      const f = familyOf(d);
      const held =
        d.verdict === 'denied'
          ? `refused by ${d.mechanism ?? 'the kernel'}`
          : `not stopped (${d.mechanism === 'audit' ? 'audit mode' : 'nothing enforced it'})`;
      return [
        {
          severity: f.severity,
          message: `${e.comm} (pid ${e.pid}) attempted ${f.noun}: ${e.type} of ${target(e)}, forbidden by ${d.rule}; ${held}`,
          events: [e],
          key: `${d.rule}:${e.execId}`,
          data: { rule: d.rule, verdict: d.verdict, mechanism: d.mechanism, tags: f.tags },
        },
      ];
    },
  };
}
