/**
 * `warden eval`: everything that alerts, over the labeled corpus. Each trace
 * is replayed as a live session is run: its tool calls opened and closed at
 * their times, each event attributed afresh by the correlator (whose findings
 * are alerts), then judged by every detector. Scored per detector (recall,
 * precision, false-positive rate), per agent CLI (false alerts per benign
 * session by severity, recall, alerts that name their tool call) and per
 * pathway; the baseline's anomaly score by its AUC.
 */
import { z } from 'zod';
import type { ToolCall } from '../model/records.js';
import { Correlator, isLaunchersOwn } from '../pipeline/correlate.js';
import type { WardenEvent } from '../model/events.js';
import type { Severity } from '../model/records.js';
import type { DetectorContext, DetectorFactory } from './detector.js';
import { DetectionEngine } from './engine.js';
import type { Trace } from './corpus.js';
import { factsOf, learnProfile, scoreSession, type SessionFacts } from './baseline.js';

/** The correlator's findings, scored alongside the detectors. */
export const CORRELATOR_FINDINGS = ['undeclared-action', 'intent-mismatch'];

export interface ReplayedAlert {
  detector: string;
  severity: Severity;
  message: string;
  toolCallId: string | null;
}

export interface DetectorScore {
  detector: string;
  attacks: number;
  tp: number;
  fn: number;
  fp: number;
  benignFp: number;
  benign: number;
  recall: number | null;
  precision: number | null;
  fpr: number | null;
}

export interface AgentScore {
  agent: string;
  benign: number;
  /** alerts on benign sessions, by severity: medium and above, and low */
  falseSerious: number;
  falseLow: number;
  falsePerSession: number | null;
  attacks: number;
  detected: number;
  recall: number | null;
  /** of the expected alerts on its attacks, the share that name the tool call behind them */
  namedToolCall: number | null;
}

export interface PathwayScore {
  pathway: string;
  attacks: number;
  detected: number;
  recall: number | null;
}

export interface TraceResult {
  trace: string;
  label: string;
  agent: string | null;
  expect: string[];
  fired: string[];
  alerts: ReplayedAlert[];
}

export interface EvalResult {
  /** how well the baseline anomaly score ranks attacks above benign sessions (0.5: chance); null without both */
  baselineAuc: number | null;
  baselineScores: Array<{ trace: string; label: string; score: number }>;
  traces: number;
  attacks: number;
  benign: number;
  scores: DetectorScore[];
  agents: AgentScore[];
  pathways: PathwayScore[];
  /** what fired on each trace, for reading mistakes */
  fired: TraceResult[];
}

const SERIOUS: Severity[] = ['medium', 'high', 'critical'];

function toolCall(trace: Trace, c: Trace['toolCalls'][number]): ToolCall {
  return { ...c, sessionId: trace.name, turn: null, result: null, decision: null };
}

/** Every alert the trace raises when replayed through the correlator and the detectors, in order. */
export function replay(trace: Trace, factories: DetectorFactory[]): ReplayedAlert[] {
  const ctx: DetectorContext = {
    wardenPids: () => trace.wardenPids,
    wardenPaths: ['/opt/warden', '/var/lib/warden'],
    workspace: trace.workspace,
    readFile: (p) => trace.files.get(p),
    readCommitted: (p) => trace.committed.get(p),
  };
  const names = new Map<string, Set<string>>();
  const correlator = new Correlator({ namesOf: (addr) => [...(names.get(addr) ?? [])] });
  for (const port of trace.runtimePorts) correlator.runtimePorts.add(port);
  const engine = new DetectionEngine(factories, ctx);
  const alerts: ReplayedAlert[] = [];
  /* the calls' opening and closing, in time, between the events they came between */
  const marks = trace.toolCalls
    .flatMap((c) => {
      const call = toolCall(trace, c);
      const opened = { t: c.startedUs, at: () => correlator.started(call) };
      return c.endedUs === null ? [opened] : [opened, { t: c.endedUs, at: () => correlator.ended(call) }];
    })
    .sort((a, b) => a.t - b.t);
  let next = 0;
  for (const original of trace.events) {
    if (original.exe.endsWith('/warden-launch') && isLaunchersOwn(original, original.exe)) continue;
    while (next < marks.length && (marks[next]?.t ?? Infinity) <= original.timeUs) marks[next++]?.at();
    const e = structuredClone(original) as WardenEvent;
    if (e.type === 'dns')
      for (const a of e.answers) names.set(a, (names.get(a) ?? new Set()).add(e.name.replace(/\.$/, '')));
    correlator.handle(e);
    engine.handle(e);
    alerts.push(...correlator.flush(), ...engine.flush());
  }
  return alerts;
}

/** The ids of what alerted on the trace (detectors and correlator findings), sorted. */
export function firedOn(trace: Trace, factories: DetectorFactory[]): string[] {
  return [...new Set(replay(trace, factories).map((a) => a.detector))].sort();
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);

/**
 * The baseline's anomaly score, per agent with recorded benign sessions: each
 * benign session of the agent against a baseline of its other sessions (leave
 * one out), each attack of the same agent (or, unnamed, any attack) against a
 * baseline of all of them. AUC is how often an attack outscores a benign
 * session (0.5: chance), over every such agent.
 */
export function baselineAuc(corpus: Trace[]): { auc: number | null; scores: EvalResult['baselineScores'] } {
  const facts = new Map(
    corpus.map((t) => [
      t.name,
      factsOf(
        t.events,
        t.toolCalls.map((c) => c.name),
        t.workspace,
      ),
    ]),
  );
  const agents = [...new Set(corpus.flatMap((t) => (t.label === 'benign' && t.agent ? [t.agent] : [])))];
  const scores: EvalResult['baselineScores'] = [];
  let wins = 0;
  let pairs = 0;
  for (const agent of agents) {
    const benign = corpus.filter((t) => t.label === 'benign' && t.agent === agent);
    if (benign.length < 3) continue;
    const attacks = corpus.filter((t) => t.label === 'attack' && (t.agent === null || t.agent === agent));
    const profile = (without: string | null) =>
      learnProfile(
        agent,
        benign.filter((t) => t.name !== without).map((t) => facts.get(t.name) as SessionFacts),
      );
    const all = profile(null);
    const b = benign.map((t) => ({
      trace: t.name,
      label: 'benign',
      score: scoreSession(profile(t.name), facts.get(t.name) as SessionFacts).score,
    }));
    const a = attacks.map((t) => ({
      trace: `${t.name} vs ${agent}`,
      label: 'attack',
      score: scoreSession(all, facts.get(t.name) as SessionFacts).score,
    }));
    scores.push(...b, ...a);
    for (const x of a) for (const y of b) wins += x.score > y.score ? 1 : x.score === y.score ? 0.5 : 0;
    pairs += a.length * b.length;
  }
  return { auc: pairs ? wins / pairs : null, scores };
}

const detected = (f: TraceResult): boolean => f.expect.length > 0 && f.expect.every((id) => f.fired.includes(id));

function detectorScores(ids: string[], fired: TraceResult[]): DetectorScore[] {
  const benign = fired.filter((f) => f.label === 'benign').length;
  return ids.map((id): DetectorScore => {
    let tp = 0;
    let fn = 0;
    let fp = 0;
    let benignFp = 0;
    for (const f of fired) {
      const expected = f.expect.includes(id);
      const hit = f.fired.includes(id);
      if (expected && hit) tp++;
      else if (expected) fn++;
      else if (hit && f.label === 'benign') {
        fp++;
        benignFp++;
      } else if (hit && !f.expect.length) fp++;
    }
    return {
      detector: id,
      attacks: tp + fn,
      tp,
      fn,
      fp,
      benignFp,
      benign,
      recall: ratio(tp, tp + fn),
      precision: ratio(tp, tp + fp),
      fpr: ratio(benignFp, benign),
    };
  });
}

function agentScores(fired: TraceResult[]): AgentScore[] {
  const agents = [...new Set(fired.map((f) => f.agent ?? 'authored'))].sort();
  return agents.map((agent): AgentScore => {
    const mine = fired.filter((f) => (f.agent ?? 'authored') === agent);
    const benign = mine.filter((f) => f.label === 'benign');
    const attacks = mine.filter((f) => f.label === 'attack');
    const falseAlerts = benign.flatMap((f) => f.alerts);
    const falseSerious = falseAlerts.filter((a) => SERIOUS.includes(a.severity)).length;
    const expected = attacks.flatMap((f) => f.alerts.filter((a) => f.expect.includes(a.detector)));
    return {
      agent,
      benign: benign.length,
      falseSerious,
      falseLow: falseAlerts.length - falseSerious,
      falsePerSession: ratio(falseAlerts.length, benign.length),
      attacks: attacks.length,
      detected: attacks.filter(detected).length,
      recall: ratio(attacks.filter(detected).length, attacks.length),
      namedToolCall: ratio(expected.filter((a) => a.toolCallId !== null).length, expected.length),
    };
  });
}

function pathwayScores(fired: TraceResult[]): PathwayScore[] {
  const attacks = fired.filter((f) => f.label === 'attack' && f.expect.length);
  const pathways = [...new Set(attacks.map((f) => f.expect[0] as string))].sort();
  return pathways.map((pathway) => {
    const mine = attacks.filter((f) => f.expect[0] === pathway);
    const n = mine.filter(detected).length;
    return { pathway, attacks: mine.length, detected: n, recall: ratio(n, mine.length) };
  });
}

export function evaluate(
  corpus: Trace[],
  factories: DetectorFactory[],
  onProgress: (n: number, total: number) => void = () => undefined,
): EvalResult {
  const ids = [...factories.map((f) => f().id), ...CORRELATOR_FINDINGS];
  const fired = corpus.map((t, i): TraceResult => {
    onProgress(i + 1, corpus.length);
    const alerts = replay(t, factories);
    const ids = [...new Set(alerts.map((a) => a.detector))].sort();
    return { trace: t.name, label: t.label, agent: t.agent, expect: t.expect, fired: ids, alerts };
  });
  const { auc, scores: baselineScores } = baselineAuc(corpus);
  return {
    baselineAuc: auc,
    baselineScores,
    traces: corpus.length,
    attacks: corpus.filter((t) => t.label === 'attack').length,
    benign: corpus.filter((t) => t.label === 'benign').length,
    scores: detectorScores(ids, fired),
    agents: agentScores(fired),
    pathways: pathwayScores(fired),
    fired,
  };
}

/** The figures a change must not make worse: corpus/scores.json. */
export const ScoresSchema = z.object({
  agents: z.array(
    z.object({
      agent: z.string(),
      benign: z.number().int(),
      falseSerious: z.number().int(),
      falseLow: z.number().int(),
    }),
  ),
  pathways: z.array(z.object({ pathway: z.string(), attacks: z.number().int(), recall: z.number() })),
});
export type Scores = z.infer<typeof ScoresSchema>;

export function scoresOf(r: EvalResult): Scores {
  return {
    agents: r.agents
      .filter((a) => a.benign > 0)
      .map(({ agent, benign, falseSerious, falseLow }) => ({ agent, benign, falseSerious, falseLow })),
    pathways: r.pathways.map((p) => ({ pathway: p.pathway, attacks: p.attacks, recall: p.recall ?? 0 })),
  };
}
