import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalPath, learnProfile, learntUpkeep, scoreSession, type SessionFacts } from './baseline.js';
import { HOME } from './facts.js';

const facts = (f: Partial<SessionFacts>): SessionFacts => ({
  binaries: new Set(),
  reads: new Set(),
  writes: new Set(),
  destinations: new Set(),
  reached: new Set(),
  tools: new Set(),
  upkeep: new Set(),
  execs: 10,
  writeCount: 5,
  egress: new Map(),
  ...f,
});

test('paths become patterns: workspace and home named, random parts starred, files by kind', () => {
  assert.equal(canonicalPath('/w/p/src/app.ts', '/w/p'), '${workspace}/src/*.ts');
  assert.equal(canonicalPath('/w/p/a/b/c/d.ts', '/w/p'), '${workspace}/a/b/**');
  assert.equal(canonicalPath(`${HOME}/.cache/pip/x`, null), '~/.cache/pip/*');
  assert.equal(canonicalPath('/tmp/tmpa8f3kq1z/out.json', null), '/tmp/*/*.json');
  assert.equal(canonicalPath('/tmp/build-123456/x', null), '/tmp/*/*');
  assert.equal(canonicalPath(`${HOME}/.claude/projects/-w-p/a.jsonl`, '/w/p'), '~/.claude/projects/${workspace}/**');
});

test('a new destination inside otherwise familiar work still scores as one', () => {
  const usual = facts({
    binaries: new Set(['/usr/bin/git', '/usr/bin/node']),
    writes: new Set(['${workspace}/src/*.ts']),
    destinations: new Set(['registry.npmjs.org:443']),
    reached: new Set(['registry.npmjs.org:443']),
    tools: new Set(['Bash', 'Edit']),
  });
  const p = learnProfile('dev', [usual, usual, usual]);
  assert.equal(scoreSession(p, usual).score, 0, 'nothing new, nothing to say');
  const beacon = facts({ ...usual, destinations: new Set(['registry.npmjs.org:443', '203.0.113.9:4444']) });
  const r = scoreSession(p, beacon);
  assert.ok(r.score >= 0.5, String(r.score));
  assert.equal(r.deviations[0]?.kind, 'destination');
  assert.match(r.deviations[0]?.explanation ?? '', /reached 203\.0\.113\.9:4444 never seen in 3 past sessions of dev/);
  const homeWrite = scoreSession(p, facts({ ...usual, writes: new Set(['${workspace}/src/*.ts', '~/.bashrc']) }));
  const wsWrite = scoreSession(
    p,
    facts({ ...usual, writes: new Set(['${workspace}/src/*.ts', '${workspace}/lib/*.ts']) }),
  );
  assert.ok(homeWrite.score > wsWrite.score, 'a write outside the workspace counts for more');
  const burst = scoreSession(p, facts({ ...usual, execs: 400 }));
  assert.ok(burst.deviations.some((d) => d.kind === 'rate'));
});

test('a destination only ever refused is not learnt as normal', () => {
  const tried = facts({ destinations: new Set(['203.0.113.9:4444']) });
  const p = learnProfile('dev', [tried, tried, tried]);
  assert.deepEqual(p.destinations, {});
  assert.ok(scoreSession(p, tried).deviations.some((d) => d.kind === 'destination'));
});

test('upkeep an agent runs by itself in two or more of its sessions is learnt; a one-off is not', () => {
  const p = learnProfile('opencode', [
    facts({ upkeep: new Set(['git write-tree', 'git add']) }),
    facts({ upkeep: new Set(['git add', 'rg']) }),
    facts({ upkeep: new Set(['git add', 'rg']) }),
  ]);
  assert.deepEqual(learntUpkeep(p).sort(), ['git add', 'rg']);
  assert.deepEqual(learntUpkeep(undefined), []);
});
