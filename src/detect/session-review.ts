/**
 * At a session's end: its score against its agent's baseline, and the
 * slow-burn accumulators it adds to. A pattern that stays under every
 * per-session threshold but adds up across sessions is caught here.
 */
import type { Alert } from '../model/records.js';
import type { Store } from '../store/store.js';
import type { Session } from '../model/session.js';
import { factsOf, learnProfile, scoreSession, type SessionFacts } from './baseline.js';

/** Alert when a session strays this far from its agent's baseline (0..1). */
export const DEVIATION_ALERT = 0.5;
/** Egress units (connections, or UDP bytes) to one destination outside the baseline, across sessions. */
export const SLOW_BURN_EGRESS = 20;
/** Summed deviation scores across sessions that each stayed under DEVIATION_ALERT. */
export const SLOW_BURN_DEVIATION = 1.5;

type NewAlert = Omit<Alert, 'id' | 'sessionId' | 'timeUs'>;

export function sessionFacts(store: Store, s: Session): SessionFacts {
  const tools = store.app
    .toolCallsOf(s.id)
    .map((c) => c.name)
    .filter(Boolean);
  return factsOf(store.eventsOf(s.id), tools, s.cwd);
}

export function learnBaseline(
  store: Store,
  agent: string,
  limit = 200,
  onProgress: (n: number, total: number) => void = () => undefined,
) {
  const sessions = store.sessionsOfAgent(agent, limit).filter((s) => s.status === 'ended');
  if (!sessions.length)
    throw new Error(`no ended sessions of agent ${agent} to learn from (warden run --agent ${agent} ...)`);
  const profile = learnProfile(
    agent,
    sessions.map((s, i) => {
      onProgress(i + 1, sessions.length);
      return sessionFacts(store, s);
    }),
  );
  store.baselines.put(profile);
  return profile;
}

/**
 * Processes still running when the session's command ended: set up to outlive it. Not the agent
 * program's own background work (a plugin fetch it started itself), which dies with it.
 */
function outlived(s: Session, isRuntime: (pid: number) => boolean): NewAlert[] {
  const left = (s.lingering ?? []).filter((p) => !isRuntime(p.pid));
  if (!left.length) return [];
  return [
    {
      detector: 'persistence',
      severity: 'high',
      message: `${left.length} process(es) outlived the session (${left.map((p) => `${p.comm}[${p.pid}] ${p.action}`).join(', ')})`,
      toolCallId: null,
      eventIds: [],
      data: { tags: ['persistence'], lingering: left },
    },
  ];
}

export function reviewSession(store: Store, s: Session, isRuntime: (pid: number) => boolean = () => false): NewAlert[] {
  const lingering = outlived(s, isRuntime);
  if (!s.agent) return lingering;
  /* no baseline yet (a new agent): no deviation to score, but egress adds up from its first session */
  const profile = store.baselines.get(s.agent);
  const facts = sessionFacts(store, s);
  const out: NewAlert[] = [...lingering];
  const { score, deviations } = profile ? scoreSession(profile, facts) : { score: 0, deviations: [] };
  if (score >= DEVIATION_ALERT) {
    out.push({
      detector: 'baseline.deviation',
      /* a note for review, not a verdict: on the recorded corpus the score does not tell attacks from
       * new kinds of ordinary work (README, "Detections, baselines and provenance") */
      severity: 'info',
      message: `session strays from ${s.agent}'s baseline (score ${score.toFixed(2)}): ${deviations
        .slice(0, 3)
        .map((d) => d.explanation)
        .join('; ')}`,
      toolCallId: null,
      eventIds: [],
      data: { score, deviations: deviations.slice(0, 50) },
    });
  } else if (score > 0) {
    const acc = store.baselines.add(s.agent, 'deviation', score);
    if (acc.total >= SLOW_BURN_DEVIATION && !acc.alerted) {
      store.baselines.markAlerted(s.agent, 'deviation');
      out.push({
        detector: 'slow-burn',
        severity: 'medium',
        message: `small deviations of ${s.agent} add up: ${acc.total.toFixed(2)} over ${acc.sessions} sessions, none alone above ${DEVIATION_ALERT}`,
        toolCallId: null,
        eventIds: [],
        data: { key: 'deviation', total: acc.total, sessions: acc.sessions },
      });
    }
  }
  for (const [dest, amount] of facts.egress) {
    if (profile?.destinations[dest]) continue;
    const key = `egress:${dest}`;
    const acc = store.baselines.add(s.agent, key, amount);
    if (acc.total >= SLOW_BURN_EGRESS && amount < SLOW_BURN_EGRESS && !acc.alerted) {
      store.baselines.markAlerted(s.agent, key);
      out.push({
        detector: 'slow-burn',
        severity: 'high',
        message: `egress to ${dest}, ${profile ? `outside ${s.agent}'s baseline` : `never a destination of ${s.agent}`}, adds up to ${acc.total} over ${acc.sessions} sessions (this one: ${amount})`,
        toolCallId: null,
        eventIds: [],
        data: { key, total: acc.total, sessions: acc.sessions },
      });
    }
  }
  return out;
}
