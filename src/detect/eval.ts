/**
 * `warden eval`: every detector over the labeled corpus. Per detector:
 * recall on the attacks that should set it off, precision over everything it
 * fired on, and its false-positive rate on benign sessions.
 */
import type { DetectorContext, DetectorFactory } from './detector.js';
import { DetectionEngine } from './engine.js';
import type { Trace } from './corpus.js';
import { factsOf, learnProfile, scoreSession, type SessionFacts } from './baseline.js';

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

export interface EvalResult {
  /** how well the baseline anomaly score ranks attacks above benign sessions (0.5: chance); null without both */
  baselineAuc: number | null;
  baselineScores: Array<{ trace: string; label: string; score: number }>;
  traces: number;
  attacks: number;
  benign: number;
  scores: DetectorScore[];
  /** what fired on each trace, for reading mistakes */
  fired: Array<{ trace: string; label: string; expect: string[]; fired: string[] }>;
}

export function firedOn(trace: Trace, factories: DetectorFactory[]): string[] {
  const ctx: DetectorContext = {
    wardenPids: () => trace.wardenPids,
    wardenPaths: ['/opt/warden', '/var/lib/warden'],
    workspace: trace.workspace,
    readFile: (p) => trace.files.get(p),
  };
  const engine = new DetectionEngine(factories, ctx);
  const fired = new Set<string>();
  engine.onDetection = (d) => fired.add(d.detector);
  for (const e of trace.events) {
    engine.handle(e);
    engine.flush();
  }
  return [...fired].sort();
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);

/**
 * The baseline's anomaly score, per agent with recorded benign sessions: each
 * benign session of the agent against a baseline of its other sessions (leave
 * one out), each attack against a baseline of all of them. AUC is how often an
 * attack outscores a benign session (0.5: chance), over every such agent.
 */
export function baselineAuc(corpus: Trace[]): { auc: number | null; scores: EvalResult['baselineScores'] } {
  const facts = new Map(corpus.map((t) => [t.name, factsOf(t.events, [], t.workspace)]));
  const attacks = corpus.filter((t) => t.label === 'attack');
  const agents = [...new Set(corpus.flatMap((t) => (t.label === 'benign' && t.agent ? [t.agent] : [])))];
  const scores: EvalResult['baselineScores'] = [];
  let wins = 0;
  let pairs = 0;
  for (const agent of agents) {
    const benign = corpus.filter((t) => t.label === 'benign' && t.agent === agent);
    if (benign.length < 3) continue;
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

export function evaluate(
  corpus: Trace[],
  factories: DetectorFactory[],
  onProgress: (n: number, total: number) => void = () => undefined,
): EvalResult {
  const ids = new DetectionEngine(factories, {
    wardenPids: () => [],
    wardenPaths: [],
    workspace: null,
    readFile: () => undefined,
  }).ids;
  const fired = corpus.map((t, i) => {
    onProgress(i + 1, corpus.length);
    return { trace: t.name, label: t.label, expect: t.expect, fired: firedOn(t, factories) };
  });
  const scores = ids.map((id): DetectorScore => {
    let tp = 0;
    let fn = 0;
    let fp = 0;
    let benignFp = 0;
    for (const f of fired) {
      const expected = f.expect.includes(id);
      const hit = f.fired.includes(id);
      if (expected && hit) tp++;
      else if (expected) fn++;
      else if (hit) {
        fp++;
        if (f.label === 'benign') benignFp++;
      }
    }
    const benign = fired.filter((f) => f.label === 'benign').length;
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
  const { auc, scores: baselineScores } = baselineAuc(corpus);
  return {
    baselineAuc: auc,
    baselineScores,
    traces: corpus.length,
    attacks: corpus.filter((t) => t.label === 'attack').length,
    benign: corpus.filter((t) => t.label === 'benign').length,
    scores,
    fired,
  };
}
