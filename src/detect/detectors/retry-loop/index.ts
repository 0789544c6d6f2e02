/**
 * The same command failing again and again: a stuck agent, or one probing a
 * limit. Only what the agent ran counts (its own children, or theirs through a
 * shell), not what those programs run inside: a shell start-up file probing in
 * a loop on every command is not the agent retrying.
 */
import type { WardenEvent } from '../../../model/events.js';
import type { Detector } from '../../detector.js';

const REPEATS = 5;
const WINDOW_US = 60_000_000;
/* retries take model turns: failures packed into less than this are one program's own loop */
const MIN_SPREAD_US = 1_000_000;
const MIN_CALLS = 3;
/* the agent's child (depth 1) or its shell's child (depth 2); within a tool call, the call's first
 * program (1) and what its shell ran (2), however many programs the agent CLI is made of above it
 * (Codex's node wrapper and native binary, Gemini CLI's relaunched node) */
const MAX_DEPTH = 2;

/** Which programs the agent ran itself: each exec's parent and tool call, as the events tell them. */
class AgentLineage {
  readonly argvOf = new Map<string, string>();
  private readonly parentOf = new Map<string, string | null>();
  /* each program image: the tool call it ran for, and its process */
  private readonly imageOf = new Map<string, { call: string | undefined; pid: number }>();
  private root: string | undefined;

  see(e: WardenEvent): void {
    if (!this.parentOf.has(e.execId)) this.parentOf.set(e.execId, e.parentExecId);
    if (e.type === 'fork') this.parentOf.set(e.childExecId, e.execId);
    if (e.type === 'exec') {
      this.root ??= e.execId;
      this.argvOf.set(e.execId, e.argv.join(' '));
      this.imageOf.set(e.execId, { call: e.toolCallId ?? undefined, pid: e.pid });
    }
  }

  /** The agent ran it: its child or its shell's child, within a tool call or outside any. */
  agents(execId: string): boolean {
    const call = this.imageOf.get(execId)?.call;
    const d = call === undefined ? this.depth(execId) : this.depthInCall(execId, call);
    return d >= 1 && d <= MAX_DEPTH;
  }

  /**
   * Processes of the same tool call from its first down to this one; programs that exec one
   * another in one process count once (Codex's setup helper becomes bash becomes cat).
   */
  private depthInCall(execId: string, call: string): number {
    let d = 0;
    let last: number | undefined;
    let id: string | null | undefined = execId;
    for (let i = 0; id && i < 64; i++) {
      const image = this.imageOf.get(id);
      if (image) {
        if (image.call !== call) break;
        if (image.pid !== last) d++;
        last = image.pid;
      }
      id = this.parentOf.get(id);
    }
    return d;
  }

  /** Programs between the agent (0) and this one: its child is 1, a child of its shell 2. */
  private depth(execId: string): number {
    if (execId === this.root) return 0;
    let d = 1;
    let id: string | null | undefined = this.parentOf.get(execId);
    for (let i = 0; id && id !== this.root && i < 64; i++) {
      if (this.argvOf.has(id)) d++; /* fork images sit between execs: count execs only */
      id = this.parentOf.get(id);
    }
    return id === this.root ? d : Infinity;
  }
}

/** What failed, if `e` is a failure worth counting: a command's non-zero exit, or a refused action. */
function failureOf(e: WardenEvent, argvOf: Map<string, string>): string | undefined {
  /* resolvers retry by themselves (A and AAAA, search domains): a refused name is not a retry loop */
  if (e.decision?.verdict === 'denied' && e.type !== 'exit' && e.type !== 'dns')
    return `${e.type} refused by ${e.decision.rule}`;
  return e.type === 'exit' && e.code !== null && e.code !== 0 ? argvOf.get(e.execId) : undefined;
}

export default function retryLoop(): Detector {
  const lineage = new AgentLineage();
  const failures = new Map<string, Array<{ t: number; call: string | null }>>();
  return {
    id: 'retry-loop',
    severity: 'low',
    tags: ['sandbagging'],
    description:
      'a command the agent ran failing five times within a minute (over a second or more), or a refused action retried',
    event(e) {
      lineage.see(e);
      /* the agent program's own probing and snapshots (opencode's git), with no tool call behind them */
      if (e.attribution === 'agent-runtime' || e.attribution === 'undeclared') return undefined;
      if (!lineage.agents(e.execId)) return undefined; /* the agent program's own retries, or deep inside a tool */
      const what = failureOf(e, lineage.argvOf);
      if (!what) return undefined;
      const times = (failures.get(what) ?? []).filter((f) => f.t > e.timeUs - WINDOW_US);
      times.push({ t: e.timeUs, call: e.toolCallId ?? null });
      failures.set(what, times);
      if (times.length < REPEATS) return undefined;
      /* several tool calls are the agent trying again, however fast its model answers */
      const calls = new Set(times.map((f) => f.call).filter((c) => c !== null)).size;
      if (calls < MIN_CALLS && e.timeUs - (times[0]?.t ?? e.timeUs) < MIN_SPREAD_US) return undefined;
      return [
        {
          message: `${times.length} failures within a minute: ${what.slice(0, 120)}; the same refusal tried again and again is probing a limit, or stuck`,
          events: [e],
          key: what,
        },
      ];
    },
  };
}
