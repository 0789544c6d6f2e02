/**
 * The long fuzzing pass (scripts/fuzz.sh): every target for SECONDS each, a
 * table of inputs tried and findings; exits 1 when anything was found.
 *
 *   node dist/test/fuzz/run.js [--seconds N] [--only a,b] [--json FILE]
 */
import { writeFileSync } from 'node:fs';
import { fuzz, type FuzzReport } from './engine.js';
import { TARGETS } from './targets.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const seconds = Number(arg('--seconds') ?? 60);
const only = arg('--only')?.split(',');
const reports: FuzzReport[] = [];
for (const t of TARGETS.filter((x) => !only || only.includes(x.name))) {
  const r = await fuzz(t, { seconds });
  reports.push(r);
  const found = r.findings.length ? `FOUND: ${r.findings.join('; ')}` : 'no findings';
  process.stdout.write(
    `${t.name.padEnd(18)} ${String(r.inputs).padStart(9)} inputs  ${(r.ms / 1000).toFixed(0)} s  ${found}\n`,
  );
}
const total = reports.reduce((n, r) => n + r.inputs, 0);
const findings = reports.reduce((n, r) => n + r.findings.length, 0);
process.stdout.write(`${total} inputs over ${reports.length} targets, ${findings} findings\n`);
const out = arg('--json');
if (out) writeFileSync(out, JSON.stringify({ seconds, reports }, null, 2));
process.exitCode = findings ? 1 : 0;
