/**
 * End to end through bin/warden, as a user meets it: the judged script, exit
 * status and signals, processes that outlive their session, a TTY, doctor.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { findCgroup2Mount, killCgroup, removeCgroup } from '../src/enforce/cgroup.js';
import { jsonLines, needKernel, stateDir, tempDir, warden, WARDEN } from './helpers.js';

type Ev = Record<string, unknown> & { type: string; execId: string; parentExecId: string | null };

const state = stateDir('cli');
after(() => state.cleanup());

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('warden run of a shell script', () => {
  test('reads, connect, rename and delete show up in `warden events --last --json` with lineage', (t) => {
    if (!needKernel(t)) return;
    const work = tempDir('judge');
    try {
      const script = join(work.path, 'judge.sh');
      writeFileSync(
        script,
        `cat /etc/hostname\n(exec 3<>/dev/tcp/127.0.0.1/1) 2>/dev/null\necho x > ${work.path}/a\nmv ${work.path}/a ${work.path}/b\nrm ${work.path}/b\n`,
      );
      const jsonFile = join(work.path, 'events.jsonl');
      const run = warden(state.path, ['run', '--json-events', jsonFile, '--', 'bash', script]);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stderr, /warden session \w+ \(bash .*judge\.sh\): exit 0/);
      assert.match(run.stderr, /open \/etc\/hostname \[O_RDONLY\]/, 'the tree shows the read');

      const out = warden(state.path, ['events', '--last', '--json']);
      assert.equal(out.status, 0, out.stderr);
      const events = jsonLines<Ev>(out.stdout);
      const byExec = new Map(events.filter((e) => e.type === 'exec').map((e) => [e.execId, e]));
      const find = (pred: (e: Ev) => boolean): Ev => {
        const e = events.find(pred);
        assert.ok(e);
        return e;
      };
      const read = find((e) => e.type === 'open' && e.path === '/etc/hostname');
      assert.deepEqual((byExec.get(read.execId) as { argv?: string[] }).argv, ['cat', '/etc/hostname']);
      const conn = find((e) => e.type === 'connect' && e.dport === 1);
      assert.deepEqual([conn.daddr, conn.result, conn.error], ['127.0.0.1', -111, 'ECONNREFUSED']);
      const ren = find((e) => e.type === 'rename');
      assert.deepEqual([ren.path, ren.newPath, ren.result], [`${work.path}/a`, `${work.path}/b`, 0]);
      find((e) => e.type === 'unlink' && e.path === `${work.path}/b` && e.result === 0);

      const root = find((e) => e.type === 'exec' && (e.argv as string[])[1] === script);
      const catExec = byExec.get(read.execId);
      assert.ok(catExec?.parentExecId);
      const tree = jsonLines<{ execId: string; parentExecId: string | null }>(
        warden(state.path, ['tree', '--json']).stdout,
      );
      const parents = new Map(tree.map((p) => [p.execId, p.parentExecId]));
      let at: string | null | undefined = catExec.execId;
      const seen: string[] = [];
      while (at && parents.has(at)) {
        seen.push(at);
        at = parents.get(at);
      }
      assert.ok(seen.includes(root.execId), "cat's lineage reaches the session root");

      const fileEvents = jsonLines<Ev>(readFileSync(jsonFile, 'utf8'));
      assert.deepEqual(
        fileEvents.map((e) => e.id),
        events.map((e) => e.id),
        '--json-events wrote the same events',
      );
    } finally {
      work.cleanup();
    }
  });

  test('the exit status of the command is warden run’s', (t) => {
    if (!needKernel(t)) return;
    assert.equal(warden(state.path, ['run', '-q', '--', 'sh', '-c', 'exit 7']).status, 7);
    assert.equal(warden(state.path, ['run', '-q', '--', 'sh', '-c', 'kill -TERM $$']).status, 143);
  });

  test('SIGTERM to warden run reaches the agent', async (t) => {
    if (!needKernel(t)) return;
    const child = spawn(WARDEN, ['run', '-q', '--', 'sleep', '30'], {
      env: { ...process.env, WARDEN_STATE_DIR: state.path },
      stdio: 'ignore',
    });
    await sleep(1500);
    const t0 = Date.now();
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 143);
    assert.ok(Date.now() - t0 < 5000, 'ended promptly');
  });

  test('a command that does not exist fails clearly with 127', (t) => {
    if (!needKernel(t)) return;
    const r = warden(state.path, ['run', '-q', '--', '/no/such/binary']);
    assert.equal(r.status, 127);
    assert.match(r.stderr, /no\/such\/binary: No such file or directory/);
  });
});

describe('processes that outlive their session', () => {
  /* a unique fractional duration marks the sleeps so that pgrep finds only ours */
  const spawnDetached = (marker: string) => [
    'sh',
    '-c',
    `setsid sleep 300.${marker} </dev/null >/dev/null 2>&1 & nohup sleep 301.${marker} </dev/null >/dev/null 2>&1 & echo started`,
  ];
  const pidsOf = (marker: string): number[] =>
    spawnSync('pgrep', ['-f', `^sleep 30[01]\\.${marker}$`], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .map(Number);

  test('are reported and killed by default', (t) => {
    if (!needKernel(t)) return;
    const marker = `${process.pid}1`;
    const r = warden(state.path, ['run', '--', ...spawnDetached(marker)]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal((r.stderr.match(/outlived the session and was killed/g) ?? []).length, 2, r.stderr);
    assert.deepEqual(pidsOf(marker), []);
    const s = jsonLines<{ lingering: Array<{ action: string }> }>(
      warden(state.path, ['sessions', '--json', '-n', '1']).stdout,
    )[0];
    assert.deepEqual(
      s?.lingering.map((l) => l.action),
      ['killed', 'killed'],
    );
    const alerts = jsonLines<{ detector: string; message: string }>(
      warden(state.path, ['alerts', '--last', '--json']).stdout,
    );
    assert.match(
      alerts.find((a) => a.detector === 'persistence')?.message ?? '',
      /2 process\(es\) outlived the session/,
    );
  });

  test('are kept with --keep-lingering, and say so', async (t) => {
    if (!needKernel(t)) return;
    const marker = `${process.pid}2`;
    const r = warden(state.path, ['run', '--keep-lingering', '--', ...spawnDetached(marker)]);
    const pids = pidsOf(marker);
    try {
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /outlived the session and was kept/);
      assert.equal(pids.length, 2);
      assert.ok(pids.every(alive));
      const s = jsonLines<{ cgroup: string; lingering: unknown[] }>(
        warden(state.path, ['sessions', '--json', '-n', '1']).stdout,
      )[0];
      assert.equal(s?.lingering.length, 2);
      assert.ok(s && existsSync(s.cgroup), 'the session cgroup stays while its processes live');
    } finally {
      /* the kept processes and their cgroup are ours to clean up */
      const s = jsonLines<{ cgroup: string }>(warden(state.path, ['sessions', '--json', '-n', '1']).stdout)[0];
      if (s && existsSync(s.cgroup)) {
        assert.ok(await killCgroup(s.cgroup), 'kept processes could be ended');
        removeCgroup(s.cgroup);
      }
      assert.ok(!s || !existsSync(s.cgroup));
    }
  });
});

test('an interactive agent gets the terminal', (t) => {
  if (!needKernel(t)) return;
  const r = spawnSync('script', ['-qec', `${WARDEN} run -q -- tty`, '/dev/null'], {
    encoding: 'utf8',
    env: { ...process.env, WARDEN_STATE_DIR: state.path },
    timeout: 60000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\/dev\/pts\/\d+/);
});

test('CLI errors are clear and exit non-zero', () => {
  const empty = stateDir('empty');
  try {
    const r = warden(empty.path, ['events', '--last']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no sessions recorded yet/);
    const bad = warden(empty.path, ['events', '--type', 'nonsense']);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /unknown type nonsense/);
  } finally {
    empty.cleanup();
  }
});

test('warden doctor probes every mechanism and reports what works', (t) => {
  if (!needKernel(t)) return;
  const r = warden(state.path, ['doctor', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const probes = new Map(jsonLines<{ probe: string; ok: boolean }>(r.stdout).map((p) => [p.probe, p.ok]));
  for (const p of [
    'bpf-lsm',
    'bpf-fentry',
    'bpf-cgroup-connect4',
    'landlock',
    'seccomp',
    'fanotify-perm',
    'cgroup-freeze',
  ]) {
    assert.equal(typeof probes.get(p), 'boolean', `${p} was probed`);
  }
  assert.equal(probes.get('warden-sensor'), true);
  /* what the sealed room and the side-door limits stand on: this machine kind has them all */
  for (const p of [
    'mount-ns',
    'pid-ns',
    'seccomp-notify',
    'bpf-cgroup-connect-unix',
    'bpf-cgroup-bind4',
    'bpf-cgroup-skb',
  ]) {
    assert.equal(probes.get(p), true, `${p} works here`);
  }
});

test('a signal during set-up aborts the session cleanly', async (t) => {
  if (!needKernel(t)) return;
  const before = warden(state.path, ['sessions', '--json']).stdout;
  const child = spawn(WARDEN, ['run', '-q', '--', 'sleep', '30'], {
    env: { ...process.env, WARDEN_STATE_DIR: state.path },
    stdio: 'ignore',
  });
  /* signal as soon as the session cgroup exists: Warden is mid-way through set-up */
  const parent = join(findCgroup2Mount(), 'warden');
  const known = new Set(readdirSync(parent));
  const deadline = Date.now() + 10000;
  while (!readdirSync(parent).some((d) => !known.has(d) && !d.startsWith('cgroup.')) && Date.now() < deadline) {
    await sleep(2);
  }
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 143);
  const after = jsonLines<{ id: string; cgroup: string; status: string }>(
    warden(state.path, ['sessions', '--json']).stdout,
  );
  for (const s of after.filter((x) => !before.includes(x.id))) {
    assert.equal(existsSync(s.cgroup), false, 'no cgroup left behind');
    assert.notEqual(s.status, 'running');
  }
});

test('a SIGTERM while the agent is being launched still reaches it', async (t) => {
  if (!needKernel(t)) return;
  const parent = join(findCgroup2Mount(), 'warden');
  for (let trial = 0; trial < 5; trial++) {
    const known = new Set(readdirSync(parent));
    const child = spawn(WARDEN, ['run', '-q', '--', 'sleep', '30'], {
      env: { ...process.env, WARDEN_STATE_DIR: state.path },
      stdio: 'ignore',
    });
    /* as soon as the launcher is in the session cgroup: the agent is not exec'd yet */
    const deadline = Date.now() + 10000;
    const inside = (): boolean =>
      readdirSync(parent).some((d) => {
        if (known.has(d) || d.startsWith('cgroup.')) return false;
        try {
          return readFileSync(join(parent, d, 'cgroup.procs'), 'utf8').trim() !== '';
        } catch {
          return false;
        }
      });
    while (!inside() && Date.now() < deadline) await sleep(1);
    const t0 = Date.now();
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 143, `trial ${trial}: the agent ended by the SIGTERM, not killed after the grace period`);
    assert.ok(Date.now() - t0 < 5000, 'ended promptly');
  }
});
