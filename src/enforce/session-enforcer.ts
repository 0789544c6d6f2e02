/**
 * Enforcement around one session's event stream: every event gets its policy
 * decision, and a violation in enforce mode is due the policy's onViolation:
 * `kill` the offending process, or `quarantine` (freeze) the whole session.
 * Each action is itself recorded, with its latency.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WardenEvent } from '../model/events.js';
import { freezeCgroup } from './cgroup.js';
import type { Judge } from './judge.js';

type ActionRecorder = (e: WardenEvent) => void;

/** What a violation is due: the rule it broke, and what the policy says to do about it. */
export interface Due {
  rule: string;
  action: 'deny' | 'kill' | 'quarantine';
}

/* how long a freeze may take to be confirmed before the action says it was not */
const FREEZE_WAIT_MS = 1000;

/* a thread's gate reports waiting for their events, at most: the loader hands on every report
 * queued before each event, so a fast loop's reports run far ahead of its events */
const GATE_REPORTS_PER_THREAD = 4096;

/** The rule named on an open the file gate refused because its decision deadline passed. */
export const GATE_DEADLINE_RULE = 'warden.gate-deadline';

function frozen(cgroup: string): boolean {
  return /^frozen 1$/m.test(readFileSync(join(cgroup, 'cgroup.events'), 'utf8'));
}

export class SessionEnforcer {
  quarantined = false;

  constructor(
    /** replaced whole when the session's policy is reloaded */
    public judge: Judge,
    private readonly cgroup: string,
    /** where the actions taken are recorded (the store) */
    private readonly record: ActionRecorder,
  ) {}

  /*
   * the file gate's refusals per thread, oldest first, each waiting for its refused call's event:
   * a thread refused twice in a row can have both reports out before the first call's event
   */
  private readonly gateRefusals = new Map<number, Array<{ latencyNs: number; deadlineMs?: number }>>();

  /**
   * A file gate denial: its frame comes before the refused syscall's event.
   * `deadlineMs`: refused because the gate could not decide within it.
   */
  gateDecided(tid: number, latencyNs: number, deadlineMs?: number): void {
    const waiting = this.gateRefusals.get(tid) ?? [];
    /* bounded: a report whose event the ring buffer dropped must not pair with later ones for ever */
    if (waiting.length >= GATE_REPORTS_PER_THREAD) waiting.shift();
    waiting.push({ latencyNs, ...(deadlineMs !== undefined ? { deadlineMs } : {}) });
    this.gateRefusals.set(tid, waiting);
  }

  /** Sets `e`'s decision; says what a violation is due (enforce mode), for the caller to `act` on once it is stored. */
  decide(e: WardenEvent): Due | undefined {
    /* the report may come before earlier events of the same thread: it is the refused call's */
    const refused = (e.type === 'open' || e.type === 'exec-failed') && e.result === -1;
    const waiting = refused ? this.gateRefusals.get(e.tid) : undefined;
    const gate = waiting?.shift();
    if (waiting && !waiting.length) this.gateRefusals.delete(e.tid);
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
    /* a refusal for lack of time is Warden's, not the agent's: no onViolation for it */
    if (!decision || decision.rule === GATE_DEADLINE_RULE) return undefined;
    const violated = decision.verdict === 'denied' || decision.mechanism === 'unenforced';
    const policy = this.judge.policy;
    return violated && policy?.mode === 'enforce' ? { rule: decision.rule, action: policy.onViolation } : undefined;
  }

  /**
   * Kills the process behind `e` or freezes the session, and records that it did (a violation, or
   * a detection). A freeze is asked for at once; its confirmation (every task stopped) is awaited
   * off the event path, so no other session's events wait on it: the promise says `quarantined`
   * once this call froze the session and recorded it.
   */
  async act(e: WardenEvent, { rule, action }: Due): Promise<'quarantined' | undefined> {
    if (action === 'deny' || (action === 'quarantine' && this.quarantined)) return undefined;
    try {
      if (action === 'kill') process.kill(e.pid, 'SIGKILL');
      else {
        freezeCgroup(this.cgroup, true);
        this.quarantined = true;
      }
    } catch (err) {
      this.recordAction(e, rule, action, (err as NodeJS.ErrnoException).code ?? String(err));
      return undefined;
    }
    if (action === 'kill') {
      this.recordAction(e, rule, action, 'ok');
      return undefined;
    }
    try {
      this.recordAction(e, rule, action, await this.confirmFrozen());
      return 'quarantined';
    } catch (err) {
      /* the session ended meanwhile (its freeze failed, and its store is closed): said, not thrown */
      process.stderr.write(`warden: the quarantine could not be recorded: ${(err as Error).message}\n`);
      return undefined;
    }
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

  private recordAction(e: WardenEvent, rule: string, action: 'kill' | 'quarantine', result: string): void {
    const nowUs = Date.now() * 1000;
    this.record({
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
