/**
 * The one suite every detector passes: it fires on each attack trace that
 * names it, and stays silent on every benign session in the corpus.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadConfig } from '../config.js';
import { BUILTIN_DETECTORS } from './builtin.js';
import { loadCorpus } from './corpus.js';
import { CORRELATOR_FINDINGS, evaluate, firedOn, ScoresSchema, scoresOf } from './eval.js';

const corpus = loadCorpus(join(loadConfig().root, 'corpus'));
const ids = [...BUILTIN_DETECTORS.map((f) => f().id), ...CORRELATOR_FINDINGS];

test('the corpus has several attack traces for every detector, and benign sessions', () => {
  for (const id of ids) {
    const n = corpus.filter((t) => t.expect.includes(id)).length;
    assert.ok(n >= 2, `${id} has ${n} attack traces`);
  }
  assert.ok(corpus.filter((t) => t.label === 'benign').length >= 5);
  for (const t of corpus) for (const id of t.expect) assert.ok(ids.includes(id), `${t.name} expects unknown ${id}`);
  /* the recording machine's home is this one's everywhere, tool calls' inputs too */
  for (const t of corpus) assert.doesNotMatch(JSON.stringify(t.toolCalls), /\{\{home/, t.name);
});

/* authored traces are unit fixtures: each must come out exactly */
for (const t of corpus.filter((x) => x.source === 'authored')) {
  test(`${t.label}: ${t.name}`, () => {
    const fired = firedOn(t, BUILTIN_DETECTORS);
    if (t.label === 'benign') assert.deepEqual(fired, [], `${t.description}: nothing should fire`);
    else
      for (const id of t.expect)
        assert.ok(fired.includes(id), `${id} should fire on: ${t.description} (fired: ${fired})`);
  });
}

/*
 * The recorded corpus is the measure: no agent CLI's false alerts and no pathway's recall may get
 * worse than corpus/scores.json says (rewrite it with `warden eval --save corpus/scores.json` when
 * a change improves them, and say so in the commit).
 */
test('eval on the recorded corpus: no more false alerts, no less recall than corpus/scores.json', () => {
  const saved = ScoresSchema.parse(JSON.parse(readFileSync(join(loadConfig().root, 'corpus', 'scores.json'), 'utf8')));
  const r = evaluate(corpus, BUILTIN_DETECTORS);
  const now = scoresOf(r);
  const misses = r.fired.filter((f) => f.label === 'attack' && !f.expect.every((id) => f.fired.includes(id)));
  for (const a of saved.agents) {
    const got = now.agents.find((x) => x.agent === a.agent);
    assert.ok(got, `${a.agent} has sessions in the corpus`);
    const alerts = r.fired.filter((f) => f.agent === a.agent && f.label === 'benign').flatMap((f) => f.alerts);
    const said = alerts.map((x) => `${x.severity} ${x.detector}: ${x.message.slice(0, 160)}`).join('\n');
    assert.ok(got.benign >= a.benign, `${a.agent}: ${got.benign} benign sessions, was ${a.benign}`);
    assert.ok(got.falseSerious <= a.falseSerious, `${a.agent}: ${got.falseSerious} false alerts >= medium\n${said}`);
    assert.ok(got.falseLow <= a.falseLow, `${a.agent}: ${got.falseLow} low false alerts\n${said}`);
  }
  for (const p of saved.pathways) {
    const got = now.pathways.find((x) => x.pathway === p.pathway);
    const missed = misses.filter((m) => m.expect[0] === p.pathway).map((m) => `${m.trace}: fired ${m.fired}`);
    assert.ok(got && got.recall >= p.recall, `${p.pathway} recall ${got?.recall} < ${p.recall}\n${missed.join('\n')}`);
  }
});
