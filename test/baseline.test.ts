/**
 * Baselines for real: sessions of one agent under `warden run --agent`, a
 * baseline learnt from them, a session that strays scored and alerted with its
 * reasons, a least-privilege policy suggested from it, and a slow burn (a few
 * refused connections per session) caught when the sessions add up.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Alert } from '../src/model/records.js';
import { jsonLines, needKernel, stateDir, tempDir, warden } from './helpers.js';

test('an agent baseline: learnt, deviations explained, a policy suggested, a slow burn caught', (t) => {
  if (!needKernel(t)) return;
  const state = stateDir('baseline');
  const ws = tempDir('baseline-ws');
  t.after(() => {
    state.cleanup();
    ws.cleanup();
  });
  const run = (script: string, agent = 'builder') => {
    const r = warden(state.path, ['run', '-q', '--agent', agent, '-w', ws.path, '--', 'bash', '-c', script]);
    assert.equal(r.status, 0, r.stderr);
    return jsonLines<{ id: string }>(warden(state.path, ['sessions', '--json', '-n', '1']).stdout)[0]?.id ?? '';
  };
  writeFileSync(join(ws.path, 'main.c'), 'int main(void) { return 0; }\n');
  const normal = `cd ${ws.path} && mkdir -p build && cat main.c > build/main.i && ls -la > build/listing.txt && wc -l main.c`;
  for (let i = 0; i < 3; i++) run(normal);
  const learn = warden(state.path, ['baseline', 'learn', '--agent', 'builder']);
  assert.equal(learn.status, 0, learn.stderr);
  assert.match(learn.stdout, /from 3 sessions/);

  /* a session that strays: new programs, writes in a new place, a new destination */
  const odd = run(
    `${normal} && mkdir -p ~/.warden-test-odd && cp /etc/hostname ~/.warden-test-odd/h && (exec 3<>/dev/tcp/203.0.113.9/8443) 2>/dev/null; rm -rf ~/.warden-test-odd; true`,
  );
  const score = JSON.parse(warden(state.path, ['baseline', 'score', '-s', odd, '--json']).stdout) as {
    score: number;
    deviations: Array<{ kind: string; what: string; explanation: string }>;
  };
  assert.ok(score.score >= 0.5, `score ${score.score}`);
  assert.ok(score.deviations.some((d) => d.kind === 'destination' && d.what === '203.0.113.9:8443'));
  assert.ok(score.deviations.some((d) => d.kind === 'binary' && /\/cp$/.test(d.what)));
  assert.match(score.deviations[0]?.explanation ?? '', /never seen in 3 past sessions of builder/);
  const alerts = jsonLines<Alert>(warden(state.path, ['alerts', '-s', odd, '--json']).stdout);
  assert.ok(
    alerts.some((a) => a.detector === 'baseline.deviation'),
    'raised at the end of the session',
  );

  /* the suggested policy is valid and holds what the agent needed */
  const out = tempDir('suggested');
  t.after(out.cleanup);
  const file = join(out.path, 'suggested.yaml');
  const suggest = warden(state.path, ['policy', 'suggest', '--agent', 'builder', '-o', file]);
  assert.equal(suggest.status, 0, suggest.stderr);
  const check = warden(state.path, ['policy', 'check', file]);
  assert.equal(check.status, 0, check.stdout + check.stderr);
  const yaml = warden(state.path, ['policy', 'suggest', '--agent', 'builder']).stdout;
  assert.match(yaml, /\/usr\/bin\/wc/);
  assert.match(yaml, /\$\{workspace\}/);
  assert.doesNotMatch(yaml, /\/cp\b/, 'learnt from the baseline sessions only');

  /* slow burn: 8 refused connections a session stays under every per-session threshold */
  const burn = `${normal}; for i in 1 2 3 4 5 6 7 8; do (exec 3<>/dev/tcp/203.0.113.7/443) 2>/dev/null; done; true`;
  const burns = [run(burn), run(burn), run(burn)];
  const per = burns.map((id) => jsonLines<Alert>(warden(state.path, ['alerts', '-s', id, '--json']).stdout));
  assert.ok(!per[0]?.some((a) => a.detector === 'slow-burn'));
  assert.ok(!per[1]?.some((a) => a.detector === 'slow-burn'));
  const slow = per[2]?.find((a) => a.detector === 'slow-burn');
  assert.ok(slow, `the third session crossed the line: ${JSON.stringify(per.map((p) => p.map((a) => a.detector)))}`);
  assert.match(slow.message, /203\.0\.113\.7:443.*adds up to 24 over 3 sessions \(this one: 8\)/);

  /* from a new agent's first session, before any baseline is learnt */
  const fresh = [run(burn, 'newcomer'), run(burn, 'newcomer'), run(burn, 'newcomer')];
  const third = jsonLines<Alert>(warden(state.path, ['alerts', '-s', fresh[2] ?? '', '--json']).stdout);
  const early = third.find((a) => a.detector === 'slow-burn');
  assert.ok(early, `a new agent's slow burn: ${JSON.stringify(third.map((a) => a.detector))}`);
  assert.match(early.message, /203\.0\.113\.7:443, never a destination of newcomer, adds up to 24 over 3 sessions/);
});
