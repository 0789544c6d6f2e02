import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RawEvent, RawTask } from '../sensor/frames.js';
import type { ProcessRecord, WardenEvent } from '../model/events.js';
import { Pipeline } from './pipeline.js';

/* pids far above pid_max so /proc seeding finds nothing and stays deterministic */
const ROOT = 9_000_001;

function harness() {
  const events: WardenEvent[] = [];
  const procs = new Map<string, ProcessRecord>();
  const p = new Pipeline({ event: (e) => events.push(e), process: (r) => procs.set(r.execId, { ...r }) }, 'boot');
  p.clock = { bootNs: 0n, realtimeNs: 1_700_000_000_000_000_000n };
  p.addSession(7, 'sess');
  return { p, events, procs };
}

let clockNs = 1000;
const task = (pid: number, ppid: number, comm: string): RawTask => ({
  pid,
  tid: pid,
  ppid,
  uid: 0,
  gid: 0,
  session: 7,
  cgroupId: 1,
  startNs: 1,
  comm,
});
const exec = (pid: number, ppid: number, argv: string[]): RawEvent => ({
  kind: 'exec',
  timeNs: (clockNs += 10),
  task: task(pid, ppid, argv[0] ?? '?'),
  oldPid: pid,
  argc: argv.length,
  argv,
  exe: `/bin/${argv[0]}`,
  cwd: '/w',
  truncated: 0,
});
const fork = (pid: number, ppid: number, child: number): RawEvent => ({
  kind: 'fork',
  timeNs: (clockNs += 10),
  task: task(pid, ppid, 'sh'),
  childPid: child,
  childStartNs: clockNs,
});
const exit = (pid: number, ppid: number, status: number): RawEvent => ({
  kind: 'exit',
  timeNs: (clockNs += 10),
  task: task(pid, ppid, 'x'),
  exitCode: status,
});

test('exec ids are unique per image and parents link a grandchild back to the root', () => {
  const { p, events, procs } = harness();
  p.handle(exec(ROOT, 1, ['sh', 'script']));
  p.handle(fork(ROOT, 1, ROOT + 1));
  p.handle(exec(ROOT + 1, ROOT, ['sh', '-c', 'x']));
  p.handle(fork(ROOT + 1, ROOT, ROOT + 2));
  p.handle(exec(ROOT + 2, ROOT + 1, ['true', 'marker']));

  const execs = events.filter((e) => e.type === 'exec');
  assert.equal(new Set(execs.map((e) => e.execId)).size, 3);
  const leaf = execs.at(-1);
  assert.ok(leaf);
  const chain: string[] = [];
  for (let id: string | null = leaf.execId; id && procs.has(id); id = procs.get(id)?.parentExecId ?? null) {
    const r = procs.get(id);
    if (r?.origin === 'exec') chain.push(r.argv.join(' '));
  }
  assert.deepEqual(chain, ['true marker', 'sh -c x', 'sh script']);
});

test('exit status decodes into a code or a signal and closes the image', () => {
  const { p, events, procs } = harness();
  p.handle(exec(ROOT, 1, ['a']));
  p.handle(exit(ROOT, 1, 3 << 8));
  p.handle(exec(ROOT + 5, 1, ['b']));
  p.handle(exit(ROOT + 5, 1, 9));
  const exits = events.filter((e) => e.type === 'exit');
  assert.deepEqual(
    exits.map((e) => e.type === 'exit' && [e.code, e.signal]),
    [
      [3, null],
      [null, 9],
    ],
  );
  const a = [...procs.values()].find((r) => r.argv[0] === 'a');
  assert.equal(a?.exitCode, 3);
  assert.equal(p.processes.size, 0, 'exited processes leave the live table');
});

test('events of an unknown session are counted, not attributed', () => {
  const { p, events } = harness();
  const stray = exec(ROOT, 1, ['x']);
  stray.task.session = 99;
  p.handle(stray);
  assert.equal(events.length, 0);
  assert.equal(p.unattributed, 1);
});

test('wall-clock time comes from the sensor clock pair', () => {
  const { p, events } = harness();
  p.handle(exec(ROOT, 1, ['x']));
  const e = events[0];
  assert.ok(e);
  assert.equal(Math.floor(e.timeUs / 1e6), 1_700_000_000);
  assert.equal(e.time.slice(0, 4), '2023');
});
