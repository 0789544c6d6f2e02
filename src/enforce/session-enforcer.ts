/**
 * Enforcement around one session's event stream: every event gets its policy
 * decision, and a violation in enforce mode triggers the policy's
 * onViolation: `kill` the offending process, or `quarantine` (freeze) the
 * whole session. Each action is itself recorded, with its latency.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WardenEvent } from '../model/events.js';
import { freezeCgroup } from './cgroup.js';
import type { Judge } from './judge.js';

type Sink = (e: WardenEvent) => void;

/* how long a freeze may take to be confirmed before the action says it was not */
const FREEZE_WAIT_MS = 1000;

/** The rule named on an open the file gate refused because its decision deadline passed. */
export const GATE_DEADLINE_RULE = 'warden.gate-deadline';

function frozen(cgroup: string): boolean {
  return /^frozen 1$/m.test(readFileSync(join(cgroup, 'cgroup.events'), 'utf8'));
}

export class SessionEnforcer {
  quarantined = false;
  /** called once the session is frozen, so the caller can tell the user */
  onQuarantine: ((e: WardenEvent) => void) | undefined;

  constructor(
    /** replaced whole when the session's policy is reloaded */
    public judge: Judge,
    private readonly cgroup: string,
    private readonly sink: Sink,
  ) {}

  /* the file gate's refusals per thread, waiting for the refused call's event */
  private readonly gateRefusals = new Map<number, { latencyNs: number; deadlineMs?: number }>();

  /**
   * A file gate denial: its frame comes before the refused syscall's event.
   * `deadlineMs`: refused because the gate could not decide within it.
   */
  gateDecided(tid: number, latencyNs: number, deadlineMs?: number): void {
    this.gateRefusals.set(tid, { latencyNs, ...(deadlineMs !== undefined ? { deadlineMs } : {}) });
  }

  handle(e: WardenEvent): void {
    /* the report may come before earlier events of the same thread: it is the refused call's */
    const refused = (e.type === 'open' || e.type === 'exec-failed') && e.result === -1;
    const gate = refused ? this.gateRefusals.get(e.tid) : undefined;
    if (gate) this.gateRefusals.delete(e.tid);
    let decision = this.judge.judge(e) ?? e.decision;
    if (gate?.deadlineMs !== undefined && refused && decision?.verdict !== 'denied') {
      decision = {
        verdict: 'denied',
        rule: GATE_DEADLINE_RULE,
        mechanism: 'fanotify',
        reason: `the file gate could not decide within its ${gate.deadlineMs} ms deadline: refused (fail closed)`,
        policy: this.judge.policy?.name ?? 'none',
      };
    }
    if (decision?.mechanism === 'fanotify' && decision.verdict === 'denied' && gate) {
      decision.latencyUs = gate.latencyNs / 1000;
    }
    if (decision) e.decision = decision;
    this.sink(e);
    /* a refusal for lack of time is Warden's, not the agent's: no onViolation for it */
    if (!decision || decision.rule === GATE_DEADLINE_RULE) return;
    const violated = decision.verdict === 'denied' || decision.mechanism === 'unenforced';
    const policy = this.judge.policy;
    if (violated && policy?.mode === 'enforce') this.act(e, decision.rule, policy.onViolation);
  }

  /**
   * Kills the process behind `e` or freezes the session, and records that it did (a violation, or
   * a detection). A freeze is asked for at once; its confirmation (every task stopped) is awaited
   * off the event path, so no other session's events wait on it.
   */
  act(e: WardenEvent, rule: string, action: 'deny' | 'kill' | 'quarantine'): void {
    if (action === 'deny') return;
    if (action === 'quarantine' && this.quarantined) return;
    try {
      if (action === 'kill') process.kill(e.pid, 'SIGKILL');
      else {
        freezeCgroup(this.cgroup, true);
        this.quarantined = true;
        void this.confirmFrozen()
          .then((result) => {
            this.record(e, rule, action, result);
            this.onQuarantine?.(e);
          })
          /* the session ended meanwhile (its freeze failed, and its store is closed): said, not thrown */
          .catch((err: Error) =>
            process.stderr.write(`warden: the quarantine could not be recorded: ${err.message}\n`),
          );
        return;
      }
    } catch (err) {
      this.record(e, rule, action, (err as NodeJS.ErrnoException).code ?? String(err));
      return;
    }
    this.record(e, rule, action, 'ok');
  }

  /** Frozen is reported once every task has stopped: waited for, a millisecond at a time, for at most 1 s. */
  private async confirmFrozen(): Promise<string> {
    const deadline = Date.now() + FREEZE_WAIT_MS;
    try {
      while (!frozen(this.cgroup)) {
        if (Date.now() >= deadline) return 'freeze requested, not confirmed within 1 s';
        await sleep(1);
      }
      return 'ok';
    } catch (err) {
      return (err as NodeJS.ErrnoException).code ?? String(err);
    }
  }

  private record(e: WardenEvent, rule: string, action: 'kill' | 'quarantine', result: string): void {
    const nowUs = Date.now() * 1000;
    this.sink({
      sessionId: e.sessionId,
      time: new Date(nowUs / 1000).toISOString(),
      timeUs: nowUs,
      pid: e.pid,
      tid: e.tid,
      ppid: e.ppid,
      uid: e.uid,
      gid: e.gid,
      comm: e.comm,
      exe: e.exe,
      execId: e.execId,
      parentExecId: e.parentExecId,
      type: 'action',
      action,
      targetPid: e.pid,
      trigger: rule,
      triggerTimeUs: e.timeUs,
      latencyUs: Math.max(0, nowUs - e.timeUs),
      result,
    });
  }
}
