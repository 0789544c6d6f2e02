/**
 * (c) Enforcement costs, in one run: an allowed and a denied connect, and an
 * open of a gated file, inside a session with a policy vs the same loop
 * outside any session; plus the gate's own decision latency. And fork+exec
 * under a sealed launch floor that denies a program by its bytes, against the
 * same floor denying none (the relay's exec check is the difference).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../src/config.js';
import { compilePolicy } from '../src/policy/compile.js';
import { parsePolicy } from '../src/policy/load.js';
import { BenchSession, loadgen, median, percentile, type LoadResult } from './harness.js';

async function listener(host: string): Promise<{ port: number; stop: () => void }> {
  const p = spawn(
    process.execPath,
    [
      '-e',
      `const s=require("node:net").createServer((c)=>c.destroy()); s.listen({port:0,host:"${host}",backlog:4096},()=>console.log(s.address().port))`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(p.stdout, 'data')) as [Buffer];
  return { port: Number(line.toString().trim()), stop: () => p.kill() };
}

export interface EnforcementRow {
  op: string;
  n: number;
  outside: { p50: number; p99: number; errors: number };
  inside: { p50: number; p99: number; errors: number };
}

export async function enforcementBench(cfg: Config, loadgenBin: string, quick: boolean, rounds: number) {
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-gate-'));
  const secrets = join(dir, 'secrets');
  mkdirSync(secrets);
  writeFileSync(join(secrets, 'key'), 'secret');
  const allowed = await listener('127.0.0.1');
  const denied = await listener('127.0.0.2');
  const policy = compilePolicy(
    parsePolicy(
      `apiVersion: warden.dev/v1\nkind: Policy\nmetadata: {name: bench}\nfiles:\n  denyRead: ["${secrets}"]\nnetwork:\n  allow: [127.0.0.1]\n`,
      'bench.yaml',
    ),
    { workspace: dir },
  );
  const n = quick ? 2000 : 10000;
  const ops: Array<[string, string[]]> = [
    ['connect allowed', ['connect', String(n), String(allowed.port)]],
    ['connect denied', ['connect', String(n), String(denied.port), '127.0.0.2']],
    ['open gated file', ['openclose', String(n * 2), join(secrets, 'key')]],
  ];
  copyFileSync('/usr/bin/touch', join(dir, 'denied'));
  const plainFloor = join(dir, 'sealed.floor');
  const contentFloor = join(dir, 'content.floor');
  writeFileSync(plainFloor, 'seal\n');
  writeFileSync(contentFloor, `seal\nexec-content ${join(dir, 'denied')}\n`);
  const EXEC = 'fork+exec, a program denied by its bytes (vs none)';
  const execArgs = ['forkexec', String(quick ? 200 : 1000)];
  const results = new Map<string, { inside: LoadResult[]; outside: LoadResult[] }>();
  for (const name of [...ops.map(([op]) => op), EXEC]) results.set(name, { inside: [], outside: [] });
  const gate: number[] = [];
  let reportDrops = 0; /* denial reports the gate's bounded queue dropped: those calls carry no latency */
  try {
    for (let r = 0; r < rounds; r++) {
      const s = await BenchSession.start(cfg, 64, policy);
      try {
        for (const [name, args] of ops) {
          /* outside: the same loop, same programs and gate marks loaded, process not in a session */
          results.get(name)?.outside.push(await loadgen(loadgenBin, args));
          results.get(name)?.inside.push(await loadgen(cfg.launchBin, [s.cg.path, loadgenBin, ...args]));
          await s.drain();
        }
        /* both under the sealed floor: 'outside' denies nothing, 'inside' denies a program by content */
        const floor = (f: string) => ['--floor', f, s.cg.path, loadgenBin, ...execArgs];
        results.get(EXEC)?.outside.push(await loadgen(cfg.launchBin, floor(plainFloor)));
        results.get(EXEC)?.inside.push(await loadgen(cfg.launchBin, floor(contentFloor)));
        await s.drain();
        gate.push(...s.gateLatencies);
        reportDrops += Number(s.sensor.stats.gate.queueDrops);
      } finally {
        await s.stop();
      }
    }
  } finally {
    allowed.stop();
    denied.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const rows: EnforcementRow[] = [];
  for (const [op, byMode] of results) {
    const m = (list: LoadResult[], key: 'p50_ns' | 'p99_ns') => median(list.map((x) => x[key]));
    const errors = (list: LoadResult[]) => list.reduce((a, x) => a + x.errors, 0);
    rows.push({
      op,
      n: byMode.inside[0]?.n ?? 0,
      outside: { p50: m(byMode.outside, 'p50_ns'), p99: m(byMode.outside, 'p99_ns'), errors: errors(byMode.outside) },
      inside: { p50: m(byMode.inside, 'p50_ns'), p99: m(byMode.inside, 'p99_ns'), errors: errors(byMode.inside) },
    });
  }
  return {
    rows,
    gateDecision: { count: gate.length, p50: percentile(gate, 50), p99: percentile(gate, 99), reportDrops },
  };
}
