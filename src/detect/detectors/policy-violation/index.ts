/**
 * An action the session's policy forbids, attempted: a credential read, a
 * forbidden destination, a protected file written, Warden itself signalled.
 * Refused or not, the attempt is the finding: an agent doing its work never
 * reaches for what its policy walls off. One alert per rule and process, so
 * a retry loop is one alert. A refusal for Warden's own lack of time (the
 * gate's deadline) is no attempt of the agent's; tampering with Warden itself
 * is monitor-tampering's alert, not a second one here.
 */
import type { Decision, WardenEvent } from '../../../model/events.js';
import type { Severity } from '../../../model/records.js';
import type { Detector, Pathway } from '../../detector.js';
import { failedByItself } from '../../../enforce/judge.js';
import { opensNameOnly } from '../../../pipeline/names.js';
import { gitCommand, gitConfiguredToRun, within } from '../../facts.js';
import { GATE_DEADLINE_RULE } from '../../../enforce/session-enforcer.js';

const CHANGE = 'a change to a file the policy protects';
const namedPaths = (e: WardenEvent): string[] =>
  e.type === 'rename' || e.type === 'link'
    ? [e.path, e.newPath]
    : 'path' in e && typeof e.path === 'string'
      ? [e.path]
      : [];

/* what monitor-tampering alerts on, with its own exceptions (a runtime naming its threads) */
const SELF_RULE = 'warden.self-protection';

interface Family {
  severity: Severity;
  tags: Pathway[];
  /** what the attempt was, as a reviewer would say it */
  noun: string;
}

/* by the rule that spoke: credentials and Warden itself first, then where the agent reached */
function familyOf(d: Decision): Family {
  const r = d.rule;
  if (r.startsWith('files.denyRead'))
    return { severity: 'high', tags: ['exfiltration'], noun: 'a read of a file the policy keeps secret' };
  if (r.startsWith('files.denyWrite') || r.startsWith('files.allowWrite'))
    return { severity: 'high', tags: ['backdoor', 'persistence'], noun: CHANGE };
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

/** A `git config` that sets a value (not one it reads) which runs nothing: pull.rebase, core.autocrlf. */
function setsHarmlessGitConfig(e: WardenEvent): boolean {
  if (e.type !== 'exec') return false;
  const git = gitCommand(e.argv);
  return git?.sub === 'config' && gitConfiguredToRun(e) === undefined;
}

export default function policyViolation(): Detector {
  /* the git config processes that set nothing that runs: their refused rewrite is the guard holding */
  const harmlessGit = new Set<string>();
  return {
    id: 'policy.violation',
    severity: 'high',
    tags: ['exfiltration', 'backdoor', 'untrusted-execution'],
    description:
      'an action the policy forbids, attempted (refused, or in audit mode let through): one alert per rule and process',
    event(e, ctx) {
      if (setsHarmlessGitConfig(e)) harmlessGit.add(e.execId);
      const d = e.decision;
      if (!d || (d.verdict !== 'denied' && d.verdict !== 'would-deny')) return undefined;
      if (d.rule === GATE_DEADLINE_RULE || d.rule === SELF_RULE) return undefined;
      /* a lookup of a forbidden name reaches nothing (agent CLIs look up their telemetry hosts): the
       * connect that would follow is the attempt; an encoded name is secret-exfil's. A call that failed
       * by itself gets no decision today; traces recorded by an older judge still carry one */
      if (e.type === 'dns' || failedByItself(e)) return undefined;
      /* an O_PATH open names a file and reads nothing; traces recorded by an older judge carry a decision */
      if (e.type === 'open' && opensNameOnly(e.flags)) return undefined;
      /* the agent program's own upkeep (Gemini CLI saving its settings, opencode its config) refused
       * by rules written for the commands it runs: the refusal stands and shows on the event, but
       * it is no attempt at anything (a tool call writing there is judged as one) */
      if (e.attribution === 'agent-runtime') return undefined;
      const f = familyOf(d);
      /* the project's own guarded files (its git config, CI workflows), refused: the guard held and
       * nothing changed; an agent adds CI when asked, git sets a preference the supervisor's list
       * lacks. A note,
       * not an alarm: what a change there would run is backdoor-write's to judge */
      const inWorkspace =
        d.verdict === 'denied' && f.noun === CHANGE && namedPaths(e).every((p) => within(p, ctx.workspace));
      /* a git config file rewritten for a setting that runs nothing (the user's git preferences) */
      const gitPreference = d.verdict === 'denied' && f.noun === CHANGE && harmlessGit.has(e.execId);
      if (inWorkspace || gitPreference) f.severity = 'low';
      const held =
        d.verdict === 'denied'
          ? `refused by ${d.mechanism}`
          : `not stopped (${d.mechanism === 'audit' ? 'audit mode' : 'nothing enforced it'})`;
      return [
        {
          severity: f.severity,
          message: `${e.comm} (pid ${e.pid}) attempted ${f.noun}: ${e.type} of ${target(e)}, forbidden by ${d.rule}; ${held}${
            gitPreference
              ? '. The setting runs nothing (a git preference): list the file under files.allowWrite to let such settings through'
              : ': work stays within what its policy allows'
          }`,
          events: [e],
          key: `${d.rule}:${e.execId}`,
          data: { rule: d.rule, verdict: d.verdict, mechanism: d.mechanism, tags: f.tags },
        },
      ];
    },
  };
}
