/**
 * Warden benchmarks, one command: ./bench/run.sh
 *  (a) pipeline throughput: events per second from the kernel into SQLite, with loss counters;
 *  (d) application layer: LLM proxy, MCP proxy and hook latency against direct peers;
 *  (b) overhead: open/close, loopback connect and fork/exec loops with no sensor, outside a
 *      session (sensor loaded) and inside one, interleaved in the same run; ratios and percentiles;
 *  (e) hosting: `warden run` standalone against the same run hosted by a daemon;
 *  (f) load (only with --only=load; --agents=N --minutes=M): scripted agents held by one daemon;
 *  (g) peers: an agent-style workload bare, under Warden, sandbox-runtime and strace -f; start-up; hooks.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config.js';
import { table } from '../src/cli/render.js';
import { BenchSession, loadgen, median, type LoadResult } from './harness.js';
import { enforcementBench } from './enforcement.js';
import { applayerBench } from './applayer.js';
import { hostingBench } from './hosting.js';
import { loadBench } from './load.js';
import { peersBench } from './peers.js';

const cfg = loadConfig();
const LOADGEN = join(cfg.root, 'bench', 'build', 'loadgen');
const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
const wants = (part: string): boolean => (!only && part !== 'load') || (only?.split(',').includes(part) ?? false);
const flag = (name: string, dflt: number): number =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt);

async function throughputBurst(ringMb: number, n: number) {
  const s = await BenchSession.start(cfg, ringMb);
  try {
    const t0 = process.hrtime.bigint();
    const load = await loadgen(cfg.launchBin, [s.cg.path, LOADGEN, 'failopen', String(n)]);
    await s.drain();
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const stats = s.sensor.stats;
    return {
      ringMb,
      produced: n,
      producerRate: Math.round(n / load.total_s),
      stored: s.stored,
      dropped: Number(stats.drops),
      endToEndRate: Math.round(s.stored / secs),
      seconds: secs,
    };
  } finally {
    await s.stop();
  }
}

async function throughputPaced(ringMb: number, rate: number, seconds: number) {
  const s = await BenchSession.start(cfg, ringMb);
  try {
    const n = Math.round(rate * seconds);
    await loadgen(cfg.launchBin, [s.cg.path, LOADGEN, 'failopen', String(n), String(rate)]);
    await s.drain();
    return { ringMb, rate, events: n, stored: s.stored, dropped: Number(s.sensor.stats.drops) };
  } finally {
    await s.stop();
  }
}

type Mode = 'none' | 'outside' | 'inside';

async function overhead(rounds: number) {
  const listener = spawn(
    process.execPath,
    [
      '-e',
      'const srv=require("node:net").createServer((s)=>s.destroy()); srv.listen({port:0,host:"127.0.0.1",backlog:4096},()=>console.log(srv.address().port))',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [portLine] = (await once(listener.stdout, 'data')) as [Buffer];
  const port = portLine.toString().trim();
  const ops: Array<[string, string[]]> = [
    ['open/close', ['openclose', quick ? '50000' : '200000', '/etc/hostname']],
    ['connect', ['connect', quick ? '5000' : '20000', port]],
    ['fork/exec', ['forkexec', quick ? '500' : '2000']],
  ];
  const results = new Map<string, Record<Mode, LoadResult[]>>();
  for (const [name] of ops) results.set(name, { none: [], outside: [], inside: [] });
  try {
    for (let r = 0; r < rounds; r++) {
      for (const [name, args] of ops) results.get(name)?.none.push(await loadgen(LOADGEN, args));
      const s = await BenchSession.start(cfg);
      try {
        for (const [name, args] of ops) {
          const got = results.get(name);
          got?.outside.push(await loadgen(LOADGEN, args));
          got?.inside.push(await loadgen(cfg.launchBin, [s.cg.path, LOADGEN, ...args]));
          await s.drain();
        }
        if (s.sensor.stats.drops > 0n) console.warn(`round ${r}: ${s.sensor.stats.drops} events dropped`);
      } finally {
        await s.stop();
      }
      await sleep(200);
    }
  } finally {
    listener.kill();
  }
  const summary = [];
  for (const [name, byMode] of results) {
    const m = (mode: Mode, key: keyof LoadResult) => median(byMode[mode].map((x) => Number(x[key])));
    summary.push({
      op: name,
      n: byMode.inside[0]?.n ?? 0,
      rounds,
      none: { mean: m('none', 'mean_ns'), p50: m('none', 'p50_ns'), p99: m('none', 'p99_ns') },
      outside: { mean: m('outside', 'mean_ns'), p50: m('outside', 'p50_ns'), p99: m('outside', 'p99_ns') },
      inside: { mean: m('inside', 'mean_ns'), p50: m('inside', 'p50_ns'), p99: m('inside', 'p99_ns') },
      errors: Object.values(byMode)
        .flat()
        .reduce((a, x) => a + x.errors, 0),
    });
  }
  return summary;
}

const us = (ns: number): string => (ns / 1000).toFixed(ns < 10000 ? 2 : 0);
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;

async function pipelineSection() {
  console.log('== (a) pipeline throughput: failing opens flat out, one event each');
  const n = quick ? 200000 : 1000000;
  const bursts = [await throughputBurst(64, n), await throughputBurst(4, n)];
  console.log(
    table([
      ['RING', 'EVENTS', 'PRODUCED/S', 'STORED', 'LOST', 'KERNEL→SQLITE/S', 'SECONDS'],
      ...bursts.map((b) => [
        `${b.ringMb} MiB`,
        String(b.produced),
        String(b.producerRate),
        String(b.stored),
        String(b.dropped),
        String(b.endToEndRate),
        b.seconds.toFixed(2),
      ]),
    ]),
  );
  console.log('\n== (a) sustained rate before loss: paced, 4 MiB ring buffer');
  const paced = [];
  for (const rate of quick ? [50000, 200000] : [25000, 50000, 100000, 150000, 200000, 300000]) {
    paced.push(await throughputPaced(4, rate, quick ? 1 : 3));
  }
  console.log(
    table([
      ['RATE/S', 'EVENTS', 'STORED', 'LOST'],
      ...paced.map((p) => [String(p.rate), String(p.events), String(p.stored), String(p.dropped)]),
    ]),
  );
  return { bursts, paced };
}

async function overheadSection(rounds: number) {
  console.log(`\n== (b) overhead per operation, median of ${rounds} interleaved rounds (µs)`);
  const over = await overhead(rounds);
  console.log(
    table([
      [
        'OP',
        'N',
        'NONE p50',
        'OUT p50',
        'IN p50',
        'NONE p99',
        'OUT p99',
        'IN p99',
        'IN/OUT p50',
        'IN/OUT p99',
        'OUT/NONE p50',
      ],
      ...over.map((o) => [
        o.op,
        String(o.n),
        us(o.none.p50),
        us(o.outside.p50),
        us(o.inside.p50),
        us(o.none.p99),
        us(o.outside.p99),
        us(o.inside.p99),
        ratio(o.inside.p50, o.outside.p50),
        ratio(o.inside.p99, o.outside.p99),
        ratio(o.outside.p50, o.none.p50),
      ]),
    ]),
  );
  console.log('NONE: no sensor loaded. OUT: sensor loaded, process outside every session. IN: inside a session.');
  return over;
}

async function enforcementSection(rounds: number) {
  console.log(`\n== (c) enforcement, median of ${rounds} rounds (µs): policy allows 127.0.0.1, gates a secrets dir`);
  const e = await enforcementBench(cfg, LOADGEN, quick, rounds);
  console.log(
    table([
      ['OP', 'N', 'OUT p50', 'IN p50', 'OUT p99', 'IN p99', 'IN-OUT p50', 'IN/OUT p99', 'IN REFUSED'],
      ...e.rows.map((r) => [
        r.op,
        String(r.n),
        us(r.outside.p50),
        us(r.inside.p50),
        us(r.outside.p99),
        us(r.inside.p99),
        `${((r.inside.p50 - r.outside.p50) / 1000).toFixed(2)}`,
        ratio(r.inside.p99, r.outside.p99),
        `${r.inside.errors}/${r.n * rounds}`,
      ]),
    ]),
  );
  console.log(
    `file gate decision (in the C sensor, per denied open): p50 ${us(e.gateDecision.p50)} µs, p99 ${us(e.gateDecision.p99)} µs over ${e.gateDecision.count} decisions (${e.gateDecision.reportDrops} reports dropped by the gate's bounded queue)`,
  );
  console.log(
    'OUT: same programs and marks loaded, process outside every session (the cost everyone pays). IN: inside the session.',
  );
  return e;
}

async function applayerSection() {
  console.log('\n== (d) application layer: added latency per request, proxied vs direct in the same run (µs)');
  const rows = await applayerBench(cfg, quick);
  console.log(
    table([
      ['OP', 'N', 'DIRECT p50', 'PROXIED p50', 'DIRECT p99', 'PROXIED p99', 'ADDED p50', 'ADDED p99'],
      ...rows.map((r) => [
        r.op,
        String(r.n),
        us(r.direct.p50),
        us(r.proxied.p50),
        us(r.direct.p99),
        us(r.proxied.p99),
        us(r.proxied.p50 - r.direct.p50),
        us(r.proxied.p99 - r.direct.p99),
      ]),
    ]),
  );
  return rows;
}

async function hostingSection() {
  console.log('\n== (e) hosting: warden run standalone (its own sensor) vs registered with a daemon, same run');
  const r = await hostingBench(cfg, LOADGEN, quick);
  const ms = (x: number): string => x.toFixed(1);
  console.log(
    table([
      ['warden run -- true (ms)', 'N', 'p50', 'p99'],
      ['standalone --no-policy', String(r.startup.n), ms(r.startup.standalone.p50), ms(r.startup.standalone.p99)],
      ['hosted --no-policy', String(r.startup.n), ms(r.startup.hosted.p50), ms(r.startup.hosted.p99)],
      ['hosted, default policy', String(r.startup.n), ms(r.startup.hostedPolicy.p50), ms(r.startup.hostedPolicy.p99)],
      [
        'ratio hosted/standalone',
        '',
        ratio(r.startup.hosted.p50, r.startup.standalone.p50),
        ratio(r.startup.hosted.p99, r.startup.standalone.p99),
      ],
    ]),
  );
  console.log(
    table([
      ['CONCURRENT', 'SESSIONS', 'OPENS EACH', 'WALL ms', 'EVENTS STORED', 'LOST (sum of sessions)'],
      ...r.concurrent.map((c) => [
        c.mode,
        String(c.sessions),
        String(c.opsEach),
        ms(c.wallMs),
        String(c.events),
        String(c.lost),
      ]),
    ]),
  );
  console.log(
    'A hosted session counts what the shared sensor lost while it ran, so concurrent hosted sessions may count one loss more than once.',
  );
  return r;
}

async function loadSection() {
  const agents = flag('agents', 20);
  const minutes = flag('minutes', quick ? 1 : 10);
  console.log(
    `\n== (f) load: ${agents} scripted agents held by one daemon for ${minutes} min (default policy, git workspaces)`,
  );
  const r = await loadBench(cfg, agents, minutes * 60);
  const ms = (x: number): string => x.toFixed(1);
  console.log(
    table([
      ['AGENTS', 'MINUTES', 'TURNS', 'FAILED TURNS', 'EVENTS STORED', 'LOST', 'SESSIONS ENDED'],
      [
        String(r.agents),
        String(minutes),
        String(r.turns),
        String(r.failedTurns),
        String(r.events),
        String(r.lost),
        String(r.sessionsEnded),
      ],
    ]),
  );
  console.log(
    table([
      ['DAEMON', 'N', 'p50', 'p99', 'max'],
      [
        'GET /api/sessions (ms)',
        String(r.apiSessionsMs.n),
        ms(r.apiSessionsMs.p50),
        ms(r.apiSessionsMs.p99),
        ms(r.apiSessionsMs.max),
      ],
      [
        'GET / dashboard (ms)',
        String(r.dashboardMs.n),
        ms(r.dashboardMs.p50),
        ms(r.dashboardMs.p99),
        ms(r.dashboardMs.max),
      ],
      ['RSS MiB (start, peak, end)', '', ms(r.rssMb.start), ms(r.rssMb.peak), ms(r.rssMb.end)],
    ]),
  );
  return r;
}

async function peersSection() {
  console.log('\n== (g) peers: bench/workload.sh bare and under each, interleaved, a new order each round');
  const r = await peersBench(cfg, quick);
  const f = (x: number, d = 2): string => x.toFixed(d);
  const sp = (s: { min: number; median: number; max: number }, d = 2, unit = ''): string =>
    `${f(s.median, d)}${unit} (${f(s.min, d)}-${f(s.max, d)})`;
  console.log(
    table([
      ['MODE', 'WALL s', 'WALL / BARE', 'CPU s', 'CPU / BARE'],
      ...r.workload.map((w) => [w.mode, sp(w.wallS), sp(w.wallRatio, 3, 'x'), sp(w.cpuS), sp(w.cpuRatio, 3, 'x')]),
    ]),
  );
  console.log(`median (min-max) of ${r.rounds} rounds; a ratio is each round's run over that round's bare run`);
  console.log(
    table([
      ['`true` UNDER (ms)', 'N', 'p50', 'p99'],
      ...r.startupMs.map((s) => [s.mode, String(s.n), f(s.p50, 1), f(s.p99, 1)]),
    ]),
  );
  const h = r.hookMs;
  console.log(
    `one hook call from a shell (${h.calls} calls): native, inside a session ${f(h.insideSession)} ms ` +
      `(an exec of true there: ${f(h.execTrueInside)} ms); outside any session, the daemon up (it decides) ` +
      `${f(h.outsideDaemon)} ms, none up (the JavaScript hook) ${f(h.outsideSession, 1)} ms`,
  );
  return r;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('benchmarks need root (BPF, cgroups)');
  const started = new Date().toISOString();
  const rounds = quick ? 1 : 3;
  const result: Record<string, unknown> = { started, quick };
  if (wants('pipeline')) Object.assign(result, await pipelineSection());
  if (wants('overhead')) result.overhead = await overheadSection(rounds);
  if (wants('enforcement')) result.enforcement = await enforcementSection(rounds);
  if (wants('applayer')) result.applayer = await applayerSection();
  if (wants('hosting')) result.hosting = await hostingSection();
  if (wants('peers')) result.peers = await peersSection();
  if (wants('load')) result.load = await loadSection();
  const dir = join(cfg.root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${started.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(`\nwrote ${file}`);
}

main().catch((e: unknown) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exitCode = 1;
});
