/** `warden eval`: the detectors' scores on the labeled corpus, as a table. */
import { writeFileSync } from 'node:fs';
import { BUILTIN_DETECTORS } from '../detect/builtin.js';
import { loadCorpus } from '../detect/corpus.js';
import { evaluate, scoresOf, type EvalResult } from '../detect/eval.js';
import { progress, table } from './render.js';

const pct = (v: number | null): string => (v === null ? '-' : `${(v * 100).toFixed(0)}%`);

/** The scores per detector, per agent CLI and per pathway, and the baseline's AUC. */
function printTables(r: EvalResult, dir: string): void {
  console.log(`${r.traces} traces: ${r.attacks} attack, ${r.benign} benign (${dir})`);
  console.log(
    table([
      ['DETECTOR', 'ATTACKS', 'TP', 'FN', 'FP', 'RECALL', 'PRECISION', 'FPR (BENIGN)'],
      ...r.scores.map((s) => [
        s.detector,
        String(s.attacks),
        String(s.tp),
        String(s.fn),
        String(s.fp),
        pct(s.recall),
        pct(s.precision),
        `${pct(s.fpr)} (${s.benignFp}/${s.benign})`,
      ]),
    ]),
  );
  console.log('\nper agent CLI (false alerts: every alert on a benign session)');
  console.log(
    table([
      [
        'AGENT',
        'BENIGN',
        'FALSE >=MEDIUM',
        'FALSE LOW',
        'PER SESSION',
        'ATTACKS',
        'DETECTED',
        'RECALL',
        'NAME TOOL CALL',
      ],
      ...r.agents.map((a) => [
        a.agent,
        String(a.benign),
        String(a.falseSerious),
        String(a.falseLow),
        a.falsePerSession === null ? '-' : a.falsePerSession.toFixed(2),
        String(a.attacks),
        String(a.detected),
        pct(a.recall),
        pct(a.namedToolCall),
      ]),
    ]),
  );
  console.log('\nper pathway (an attack is detected when everything it expects alerts)');
  console.log(
    table([
      ['PATHWAY', 'ATTACKS', 'DETECTED', 'RECALL'],
      ...r.pathways.map((p) => [p.pathway, String(p.attacks), String(p.detected), pct(p.recall)]),
    ]),
  );
  console.log(
    r.baselineAuc === null
      ? 'baseline anomaly score AUC: not measurable (needs attack traces and three or more recorded benign sessions of one agent)'
      : `baseline anomaly score AUC: ${r.baselineAuc.toFixed(3)} (attacks vs each agent's benign sessions, benign scored leave-one-out)`,
  );
}

export function runEval(dir: string, json: boolean, save?: string): number {
  const bar = progress('scoring traces');
  const corpus = loadCorpus(dir);
  const r = evaluate(corpus, BUILTIN_DETECTORS, bar.step);
  bar.done();
  if (save) writeFileSync(save, JSON.stringify(scoresOf(r), null, 2) + '\n');
  if (json) {
    console.log(JSON.stringify(r));
    return 0;
  }
  printTables(r, dir);
  const misses = r.fired.filter(
    (f) => f.expect.some((id) => !f.fired.includes(id)) || (f.label === 'benign' && f.fired.length),
  );
  for (const m of misses) {
    console.log(`miss: ${m.trace}: expected [${m.expect.join(', ')}], fired [${m.fired.join(', ')}]`);
    if (m.label === 'benign')
      for (const a of m.alerts) console.log(`  ${a.severity} ${a.detector}: ${a.message.slice(0, 200)}`);
  }
  return misses.length ? 1 : 0;
}
