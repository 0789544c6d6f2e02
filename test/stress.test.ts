/**
 * The file gate under back-pressure, real and as root. Four sessions hosted by
 * one daemon each storm failing opens (an event each, flat out) while they
 * loop over a refused read, a write into a gate-marked workspace and an
 * ungated open; processes outside every session open the sessions' protected
 * files all along. No open may wait past the gate's deadline, every event is
 * stored or counted as lost, and every session ends when told (one of them
 * ignores SIGTERM, so Warden must end it). WARDEN_STRESS_SECONDS sets the
 * length (60 by default; scripts/stress.sh runs it on its own).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config.js';
import * as L from '../src/sensor/layout.js';
import { FrameType, Gate } from '../src/sensor/layout.js';
import { decodeFrame, FrameSplitter } from '../src/sensor/wire.js';
import { commandFrame, encodeCommand } from '../src/sensor/encode.js';
import {
  createSessionCgroup,
  findCgroup2Mount,
  isPopulated,
  killCgroup,
  levelOf,
  removeCgroup,
  wardenParent,
} from '../src/enforce/cgroup.js';
import {
  endLiveSessions,
  jsonLines,
  needKernel,
  ROOT,
  startDaemon,
  stateDir,
  tempDir,
  WARDEN,
  warden,
} from './helpers.js';

const SECONDS = Number(process.env.WARDEN_STRESS_SECONDS ?? 60);
const SESSIONS = 4;
const OUTSIDERS = 2;
const DEADLINE_MS = 250;
/* the agent's END_GRACE_MS, then cgroup.kill, plus time to notice */
const END_BOUND_MS = 10_000 + 5_000;

interface Wait {
  n: number;
  max_ns: number;
  p50_ns: number;
  p99_ns: number;
  p999_ns: number;
}
interface SessionReport {
  storm_ops: number;
  gated_ops: number;
  denied: number;
  written: number;
  wrong: number;
  gated: Wait;
  write: Wait;
  ungated: Wait;
}
interface OutsiderReport {
  failed: number;
  open: Wait;
}
interface SessionRow {
  id: string;
  name: string;
  status: string;
  cgroup: string;
  events: number;
  rootPid: number | null;
}

const ms = (ns: number): string => `${(ns / 1e6).toFixed(2)} ms`;

function buildWorkload(dir: string): string {
  const bin = join(dir, 'stress');
  const cc = spawnSync('cc', ['-O2', '-Wall', '-pthread', '-o', bin, join(ROOT, 'test', 'fixtures', 'stress.c')], {
    encoding: 'utf8',
  });
  assert.equal(cc.status, 0, cc.stderr);
  return bin;
}

/** A workspace whose directory the gate marks: a secret the policy forbids reading, a file it forbids writing. */
function workspace(root: string, i: number): { dir: string; secret: string; policy: string } {
  const dir = join(root, `ws${i}`);
  mkdirSync(dir);
  const secret = join(dir, 'secret.key');
  writeFileSync(secret, `secret ${i}\n`);
  const policy = join(root, `policy${i}.yaml`);
  writeFileSync(
    policy,
    [
      'apiVersion: warden.dev/v1',
      'kind: Policy',
      `metadata: { name: stress-${i} }`,
      'files:',
      '  denyRead: ["${workspace}/secret*"]',
      '  denyWrite: ["${workspace}/protected.txt"]',
    ].join('\n') + '\n',
  );
  return { dir, secret, policy };
}

async function metrics(url: string, token: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/api/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(warden_[a-z_]+) (\S+)$/.exec(line);
    if (m?.[1] && m[2]) out.set(m[1], Number(m[2]));
  }
  return out;
}

const exited = (c: ChildProcess): Promise<number | null> =>
  c.exitCode !== null || c.signalCode !== null
    ? Promise.resolve(c.exitCode)
    : new Promise((r) => c.once('exit', (code) => r(code)));

/** The loader on its own, spoken to frame by frame, so that the test can stop reading its output. */
async function rawLoader(): Promise<{
  proc: ChildProcess;
  send: (frame: Uint8Array) => void;
  pause: () => void;
  resume: () => void;
  acks: Map<bigint, number>;
}> {
  const cfg = loadConfig();
  const mount = findCgroup2Mount();
  const proc = spawn(cfg.sensorBin, ['--session-level', String(levelOf(mount, wardenParent(mount)) + 1)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const acks = new Map<bigint, number>();
  const split = new FrameSplitter();
  let ready = false;
  proc.stdout?.on('data', (chunk: Buffer) => {
    for (const f of split.push(chunk)) {
      const m = decodeFrame(f);
      if (!('kind' in m)) continue;
      if (m.kind === 'ready') ready = true;
      if (m.kind === 'ack') acks.set(m.cmdId, m.status);
    }
  });
  const t0 = Date.now();
  while (!ready && Date.now() - t0 < 20_000) await sleep(50);
  assert.ok(ready, 'the loader came up');
  return {
    proc,
    send: (frame) => void proc.stdin?.write(frame),
    /* the pipe fills and the loader's output backs up, as when Warden's Node process is busy */
    pause: () => void proc.stdout?.pause(),
    resume: () => void proc.stdout?.resume(),
    acks,
  };
}

async function acked(acks: Map<bigint, number>, id: bigint, ms: number): Promise<number | undefined> {
  const t0 = Date.now();
  while (!acks.has(id) && Date.now() - t0 < ms) await sleep(20);
  return acks.get(id);
}

describe('the file gate under back-pressure', () => {
  test('a loader whose reader stops reading still answers every gated open, and catches up after', async (t) => {
    if (!needKernel(t)) return;
    const ws = tempDir('stress-paused');
    const cg = createSessionCgroup(`paused-${process.pid}`);
    const loader = await rawLoader();
    const started: { storm?: ChildProcess } = {};
    t.after(async () => {
      started.storm?.kill('SIGKILL');
      loader.resume();
      loader.proc.stdin?.end();
      await exited(loader.proc);
      if (existsSync(cg.path)) {
        await killCgroup(cg.path).catch(() => false);
        removeCgroup(cg.path);
      }
      ws.cleanup();
    });
    const bin = buildWorkload(ws.path);
    const w = workspace(ws.path, 0);
    const enc = new TextEncoder();
    loader.send(encodeCommand(FrameType.CMD_TRACK, 1n, cg.id, 1));
    loader.send(
      commandFrame(L.CmdGate, FrameType.CMD_GATE_ADD, 2n)
        .set('session', 1)
        .set('access', Gate.READ | Gate.WRITE)
        .set('rule', 0)
        .put('path', enc.encode(w.secret + '\0'))
        .put('base', enc.encode(w.secret + '\0')).bytes,
    );
    assert.equal(await acked(loader.acks, 2n, 5000), 0, 'the gate rule is in');
    const report = join(ws.path, 'report.json');
    const storm = spawn(loadConfig().launchBin, [cg.path, bin, 'session', report, w.dir, w.secret], {
      stdio: 'ignore',
    });
    started.storm = storm;
    while (!existsSync(report)) await sleep(50);
    loader.pause();
    await sleep(1000); /* the storm fills the pipe, then the ring buffer */
    const before = JSON.parse(readFileSync(report, 'utf8')) as SessionReport;
    const outsider = JSON.parse(
      spawnSync(bin, ['outsider', '3', w.secret], { encoding: 'utf8' }).stdout,
    ) as OutsiderReport;
    const during = JSON.parse(readFileSync(report, 'utf8')) as SessionReport;
    t.diagnostic(
      `paused reader: outsider ${outsider.open.n} opens, worst ${ms(outsider.open.max_ns)}; ` +
        `session refused ${during.denied - before.denied} more opens meanwhile`,
    );
    assert.equal(outsider.failed, 0);
    assert.ok(outsider.open.max_ns < DEADLINE_MS * 1e6, `outsider worst ${ms(outsider.open.max_ns)}`);
    assert.ok(during.denied > before.denied, "the session's refused opens were answered while the reader was away");
    assert.equal(during.wrong, 0, 'and never allowed');
    /* commands sent while the output is backed up are carried out; their acks come once it is read */
    loader.send(encodeCommand(FrameType.CMD_TRACK, 3n, cg.id + 1n, 2));
    storm.kill('SIGKILL');
    loader.resume();
    loader.send(encodeCommand(FrameType.CMD_STATS, 4n, 0n, 0));
    assert.equal(await acked(loader.acks, 3n, 30_000), 0, 'the command sent while backed up was carried out');
    assert.equal(await acked(loader.acks, 4n, 30_000), 0, 'the barrier completes once the reader is back');
  });

  test(`${SESSIONS} sessions storm for ${SECONDS} s: no open waits past the deadline, nothing is lost uncounted, every session ends when told`, async (t) => {
    if (!needKernel(t)) return;
    const state = stateDir('stress');
    const ws = tempDir('stress');
    const runs: ChildProcess[] = [];
    t.after(async () => {
      for (const r of runs) if (r.exitCode === null && r.signalCode === null) r.kill('SIGKILL');
      await daemon?.stop();
      endLiveSessions(state.path);
      ws.cleanup();
      state.cleanup();
    });
    const bin = buildWorkload(ws.path);
    const daemon = await startDaemon(state.path).catch(() => undefined); /* its gate deadline: the default */
    assert.ok(daemon, 'the daemon came up');
    const spaces = Array.from({ length: SESSIONS }, (_, i) => workspace(ws.path, i));
    const said = spaces.map(() => ''); /* each run's stderr: why a session did not start */
    const env = { ...process.env, WARDEN_STATE_DIR: state.path };
    for (const [i, w] of spaces.entries()) {
      const args = ['run', '-q', '--name', `stress-${i}`, '--policy', w.policy, '-w', w.dir, '--'];
      const cmd = [bin, 'session', join(ws.path, `report${i}.json`), w.dir, w.secret];
      if (i === SESSIONS - 1) cmd.push('--ignore-term');
      const run = spawn(WARDEN, [...args, ...cmd], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      run.stderr?.on('data', (d: Buffer) => (said[i] += d.toString()));
      runs.push(run);
    }
    const deadline = Date.now() + 30_000;
    let rows: SessionRow[] = [];
    while (Date.now() < deadline) {
      rows = jsonLines<SessionRow>(warden(state.path, ['sessions', '--json']).stdout);
      if (rows.filter((r) => r.status === 'running' && r.rootPid !== null).length === SESSIONS) break;
      await sleep(200);
    }
    assert.equal(
      rows.filter((r) => r.status === 'running').length,
      SESSIONS,
      `every session started: ${JSON.stringify(rows.map((r) => [r.name, r.status]))}\n${said.join('\n')}\n${daemon.stderr()}`,
    );

    const before = await metrics(daemon.url, daemon.token);
    const outsiders = Array.from({ length: OUTSIDERS }, () =>
      spawn(bin, ['outsider', String(SECONDS), ...spaces.map((w) => w.secret)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    );
    const outsiderOut = outsiders.map(
      (o) =>
        new Promise<OutsiderReport>((resolve) => {
          let text = '';
          o.stdout?.on('data', (d: Buffer) => (text += d.toString()));
          o.on('close', () => resolve(JSON.parse(text) as OutsiderReport));
        }),
    );
    const outside = await Promise.all(outsiderOut);
    const during = await metrics(daemon.url, daemon.token);

    /* told to end: SIGTERM to every warden run; the one that ignores it is ended by Warden */
    const told = Date.now();
    for (const r of runs) r.kill('SIGTERM');
    const cgroups = spaces.map((_, i) => rows.find((r) => r.name === `stress-${i}`)?.cgroup ?? '');
    const ends = await Promise.all(
      runs.map(async (r, i) => {
        /* the agent's end: its cgroup empty (or gone); then warden run's, once all is recorded */
        let agentMs = NaN;
        while (Date.now() - told < END_BOUND_MS * 2) {
          if (!isPopulated(cgroups[i] ?? '')) {
            agentMs = Date.now() - told;
            break;
          }
          await sleep(50);
        }
        const code = await exited(r);
        return { i, code, agentMs, runMs: Date.now() - told };
      }),
    );
    /* a run returns once its agent has ended; the daemon may still be recording a backlog */
    const recordingSince = Date.now();
    while (Date.now() - recordingSince < 300_000) {
      rows = jsonLines<SessionRow>(warden(state.path, ['sessions', '--json']).stdout);
      if (rows.every((r) => r.status !== 'running')) break;
      await sleep(500);
    }
    const recordedMs = Date.now() - recordingSince;
    const reports = spaces.map(
      (_, i) => JSON.parse(readFileSync(join(ws.path, `report${i}.json`), 'utf8')) as SessionReport,
    );
    const after = await metrics(daemon.url, daemon.token);

    const offered = reports.reduce((n, r) => n + r.storm_ops + r.gated_ops, 0);
    const stored = rows.reduce((n, r) => n + r.events, 0);
    const lost = after.get('warden_sensor_events_lost_total') ?? NaN;
    const worstOutsider = Math.max(...outside.map((o) => o.open.max_ns));
    const worstSession = Math.max(...reports.map((r) => Math.max(r.gated.max_ns, r.write.max_ns, r.ungated.max_ns)));
    const summary = {
      seconds: SECONDS,
      offeredPerSecond: Math.round(offered / SECONDS),
      stored,
      lost,
      outsiderOpens: outside.reduce((n, o) => n + o.open.n, 0),
      worstOutsider: ms(worstOutsider),
      outsiderP99: ms(Math.max(...outside.map((o) => o.open.p99_ns))),
      worstSessionOpen: ms(worstSession),
      sessionGatedP99: ms(Math.max(...reports.map((r) => r.gated.p99_ns))),
      gateAnswered: (after.get('warden_gate_answered_total') ?? 0) - (before.get('warden_gate_answered_total') ?? 0),
      gateLateDenied: after.get('warden_gate_late_denied_total'),
      gateLateOutsiders: after.get('warden_gate_late_outsiders_total'),
      gateMaxWait: after.get('warden_gate_max_wait_seconds'),
      gateReportDrops: after.get('warden_gate_report_drops_total'),
      ends: ends.map((e) => `agent ${e.agentMs} ms, warden run ${e.runMs} ms (exit ${e.code})`),
      recordedAfterRuns: `${recordedMs} ms`,
    };
    t.diagnostic(JSON.stringify(summary));
    process.stderr.write(`stress: ${JSON.stringify(summary, null, 1)}\n`);

    assert.ok(offered / SECONDS > 200_000, `over 200,000 events/s offered (${summary.offeredPerSecond}/s)`);
    assert.equal(
      outside.reduce((n, o) => n + o.failed, 0),
      0,
      'outsiders are allowed: the gate speaks only to sessions',
    );
    assert.ok(worstOutsider < DEADLINE_MS * 1e6, `no outsider waited past the deadline (worst ${ms(worstOutsider)})`);
    assert.ok(
      worstSession < DEADLINE_MS * 1e6 * 2,
      `no session open waited far past the deadline (worst ${ms(worstSession)})`,
    );
    for (const [i, r] of reports.entries()) {
      assert.equal(r.wrong, 0, `session ${i}: the secret never opened, a failing open never succeeded`);
      assert.ok(r.denied > 0 && r.written > 0, `session ${i} was refused its secret and wrote its files`);
    }
    assert.ok(stored + lost >= offered, `every event is stored or counted lost (${stored} + ${lost} >= ${offered})`);
    assert.ok((during.get('warden_gate_outsiders_total') ?? 0) > 0, 'the gate answered outsiders');
    for (const e of ends) {
      assert.ok(e.agentMs < END_BOUND_MS, `session ${e.i}'s processes ended when told (${e.agentMs} ms)`);
      assert.equal(e.code, e.i === SESSIONS - 1 ? 128 + 9 : 128 + 15, `session ${e.i}: warden run says how it ended`);
    }
    for (const r of rows) {
      assert.notEqual(r.status, 'running', `${r.name} is not left running`);
      assert.equal(existsSync(r.cgroup), false, `${r.name}: its cgroup is gone`);
    }
  });

  test('standalone, as the issue found it: a storm while the workspace is written, an outsider reads the protected file', async (t) => {
    if (!needKernel(t)) return;
    const state = stateDir('stress-alone');
    const ws = tempDir('stress-alone');
    const started: { run?: ChildProcess } = {};
    t.after(async () => {
      const run = started.run;
      if (run && run.exitCode === null && run.signalCode === null) run.kill('SIGKILL');
      endLiveSessions(state.path);
      ws.cleanup();
      state.cleanup();
    });
    const bin = buildWorkload(ws.path);
    const w = workspace(ws.path, 0);
    const report = join(ws.path, 'report.json');
    const run = spawn(
      WARDEN,
      ['run', '-q', '--standalone', '--policy', w.policy, '-w', w.dir, '--', bin, 'session', report, w.dir, w.secret],
      {
        env: { ...process.env, WARDEN_STATE_DIR: state.path },
        stdio: 'ignore',
      },
    );
    started.run = run;
    const since = Date.now();
    while (!existsSync(report) && Date.now() - since < 30_000) await sleep(100);
    const seconds = Math.min(SECONDS, 15);
    const outsider = spawnSync(bin, ['outsider', String(seconds), w.secret], { encoding: 'utf8' });
    const out = JSON.parse(outsider.stdout) as OutsiderReport;
    const told = Date.now();
    run.kill('SIGTERM');
    const code = await exited(run);
    t.diagnostic(
      `outsider: ${out.open.n} opens, worst ${ms(out.open.max_ns)}, p99 ${ms(out.open.p99_ns)}; run ended ${Date.now() - told} ms after SIGTERM`,
    );
    assert.equal(out.failed, 0);
    assert.ok(
      out.open.max_ns < DEADLINE_MS * 1e6,
      `the outsider never waited past the deadline (worst ${ms(out.open.max_ns)})`,
    );
    assert.equal(code, 128 + 15);
    const s = jsonLines<SessionRow>(warden(state.path, ['sessions', '--json']).stdout)[0];
    assert.equal(s?.status, 'ended');
  });
});
