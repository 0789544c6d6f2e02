/**
 * The one suite every detector passes: it fires on each attack trace that
 * names it, and stays silent on every benign session in the corpus.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../config.js';
import { BUILTIN_DETECTORS } from './builtin.js';
import { loadCorpus } from './corpus.js';
import { evaluate, firedOn } from './eval.js';

const corpus = loadCorpus(join(loadConfig().root, 'corpus'));
const ids = BUILTIN_DETECTORS.map((f) => f().id);

test('the corpus has several attack traces for every detector, and benign sessions', () => {
  for (const id of ids) {
    const n = corpus.filter((t) => t.expect.includes(id)).length;
    assert.ok(n >= 2, `${id} has ${n} attack traces`);
  }
  assert.ok(corpus.filter((t) => t.label === 'benign').length >= 5);
  for (const t of corpus) for (const id of t.expect) assert.ok(ids.includes(id), `${t.name} expects unknown ${id}`);
});

for (const t of corpus) {
  test(`${t.label}: ${t.name}`, () => {
    const fired = firedOn(t, BUILTIN_DETECTORS);
    if (t.label === 'benign') assert.deepEqual(fired, [], `${t.description}: nothing should fire`);
    else
      for (const id of t.expect)
        assert.ok(fired.includes(id), `${id} should fire on: ${t.description} (fired: ${fired})`);
  });
}

test('eval scores: full recall, no false positives on benign sessions', () => {
  const r = evaluate(corpus, BUILTIN_DETECTORS);
  for (const s of r.scores) {
    assert.equal(s.recall, 1, `${s.detector} recall`);
    assert.equal(s.benignFp, 0, `${s.detector} benign false positives`);
  }
});
