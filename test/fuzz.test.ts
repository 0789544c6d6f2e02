/**
 * The short fuzzing pass, run with every test: each decoder an agent or a
 * remote can shape gets a few thousand mutated inputs (test/fuzz/), and the
 * loader's C command reader and gate matcher a run of libFuzzer over their
 * corpora (sensor/fuzz/). scripts/fuzz.sh runs the long pass.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fuzz } from './fuzz/engine.js';
import { TARGETS } from './fuzz/targets.js';
import { ROOT } from './helpers.js';

const RUNS = Number(process.env.WARDEN_FUZZ_RUNS ?? 3000);

describe('fuzzing (short pass)', () => {
  for (const target of TARGETS) {
    test(`${target.name}: ${target.input}`, async (t) => {
      const r = await fuzz(target, { runs: RUNS, seed: 0x5eed });
      t.diagnostic(`${r.inputs} inputs from ${r.seeds} seeds in ${r.ms} ms`);
      assert.deepEqual(r.findings, [], `${target.name} broke on an input`);
    });
  }

  for (const name of ['command', 'gate-match', 'git-config', 'hook-answer']) {
    test(`libFuzzer: sensor/fuzz/${name}`, (t) => {
      const bin = join(ROOT, 'sensor', 'build', `${name}-fuzz`);
      if (!existsSync(bin)) {
        if (process.env.CI === 'true') assert.fail(`${bin} is not built (make -C sensor fuzz)`);
        t.skip(`${bin} is not built (make -C sensor fuzz)`);
        return;
      }
      const work = mkdtempSync(join(tmpdir(), `warden-fuzz-${name}-`));
      try {
        const run = spawnSync(
          bin,
          [
            '-runs=200000',
            '-timeout=2',
            '-max_len=4200',
            `-artifact_prefix=${work}/`,
            work,
            join(ROOT, 'sensor', 'fuzz', 'corpus', name),
          ],
          { encoding: 'utf8', timeout: 120_000 },
        );
        const done = /Done (\d+) runs/.exec(run.stderr);
        t.diagnostic(done ? `${done[1]} runs` : run.stderr.slice(-400));
        assert.equal(run.status, 0, run.stderr.slice(-2000));
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });
  }
});
