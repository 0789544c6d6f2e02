/**
 * Nothing is left hanging, real and as root (standalone `warden run`; the
 * hosted cases are in hosted.test.ts and stress.test.ts): a run killed with
 * SIGKILL is never shown running afterwards, and what it left is settled the
 * way it ran; SIGTERM ends a run whose agent ignores it within the grace
 * period, a second SIGTERM at once; `warden session kill` ends a live run.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { END_GRACE_MS } from '../src/session/agent.js';
import { alive, endLiveSessions, needKernel, sessionRows, stateDir, tempDir, warden, WARDEN } from './helpers.js';

type SessionRow = { id: string; status: string; cgroup: string; rootPid: number | null; name: string };

const sessions = (state: string): SessionRow[] => sessionRows<SessionRow>(state);

interface Run {
  child: ChildProcess;
  exit: Promise<number | null>;
  stderr: () => string;
}

function start(state: string, args: string[]): Run {
  const child = spawn(WARDEN, ['run', '-q', ...args], {
    env: { ...process.env, WARDEN_STATE_DIR: state },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return {
    child,
    exit: new Promise((r) => child.once('exit', (code, signal) => r(code ?? (signal ? -1 : null)))),
    stderr: () => stderr,
  };
}

/** The session named `name` once its agent runs. */
async function running(state: string, name: string, run: Run): Promise<SessionRow> {
  const deadline = Date.now() + 20_000;
  let seen: SessionRow[] = [];
  while (Date.now() < deadline) {
    seen = sessions(state);
    const s = seen.find((x) => x.name === name && x.status === 'running' && x.rootPid !== null);
    if (s) return s;
    await sleep(100);
  }
  throw new Error(`session ${name} did not start: ${JSON.stringify(seen)}; its warden run said: ${run.stderr()}`);
}

describe('nothing is left hanging', () => {
  const state = stateDir('recovery');
  const ws = tempDir('recovery');
  after(() => {
    endLiveSessions(state.path);
    ws.cleanup();
    state.cleanup();
  });

  test('a monitor-only run killed with SIGKILL: shown failed, never running, and its processes ended', async (t) => {
    if (!needKernel(t)) return;
    const run = start(state.path, ['--no-policy', '--name', 'killed-monitor', '--', 'sleep', '60']);
    const s = await running(state.path, 'killed-monitor', run);
    run.child.kill('SIGKILL');
    await run.exit;
    const after = sessions(state.path).find((x) => x.id === s.id);
    assert.equal(after?.status, 'failed', 'the next command that opens the store reconciles it');
    assert.equal(existsSync(s.cgroup), false, 'its cgroup is removed');
    assert.equal(alive(s.rootPid ?? 0), false, 'its agent is gone');
  });

  test('an enforced run killed with SIGKILL: failed, held frozen for an operator, and ended by one', async (t) => {
    if (!needKernel(t)) return;
    const policy = join(ws.path, 'p.yaml');
    writeFileSync(policy, 'apiVersion: warden.dev/v1\nkind: Policy\nmetadata: { name: held }\nnetwork:\n  allow: []\n');
    const run = start(state.path, ['--policy', policy, '--name', 'killed-enforced', '--', 'sleep', '60']);
    const s = await running(state.path, 'killed-enforced', run);
    run.child.kill('SIGKILL');
    await run.exit;
    await sleep(300); /* its sensor sees EOF and freezes the session */
    assert.equal(sessions(state.path).find((x) => x.id === s.id)?.status, 'failed');
    assert.match(readFileSync(join(s.cgroup, 'cgroup.events'), 'utf8'), /^frozen 1$/m, 'held frozen');
    const kill = warden(state.path, ['session', 'kill', s.id]);
    assert.equal(kill.status, 0, kill.stderr);
    assert.equal(existsSync(s.cgroup), false);
    assert.equal(sessions(state.path).find((x) => x.id === s.id)?.status, 'ended');
  });

  test('SIGTERM ends a run whose agent ignores it within the grace period; a second SIGTERM at once', async (t) => {
    if (!needKernel(t)) return;
    /* it says when it ignores SIGTERM: a signal before the trap would end it by itself */
    const stubborn = (ready: string): string[] => [
      'sh',
      '-c',
      `trap "" TERM; touch ${ready}; while :; do sleep 1; done`,
    ];
    const ignoring = async (ready: string): Promise<void> => {
      for (let i = 0; i < 200 && !existsSync(ready); i++) await sleep(50);
      assert.ok(existsSync(ready), 'the agent ignores SIGTERM');
    };
    const one = start(state.path, ['--no-policy', '--name', 'stubborn-1', '--', ...stubborn(join(ws.path, 'r1'))]);
    await running(state.path, 'stubborn-1', one);
    await ignoring(join(ws.path, 'r1'));
    const t0 = Date.now();
    one.child.kill('SIGTERM');
    assert.equal(await one.exit, 137, 'ended by Warden with SIGKILL');
    const took = Date.now() - t0;
    assert.ok(took >= END_GRACE_MS - 500 && took < END_GRACE_MS + 5000, `within the grace period (${took} ms)`);

    const two = start(state.path, ['--no-policy', '--name', 'stubborn-2', '--', ...stubborn(join(ws.path, 'r2'))]);
    await running(state.path, 'stubborn-2', two);
    await ignoring(join(ws.path, 'r2'));
    const t1 = Date.now();
    two.child.kill('SIGTERM');
    await sleep(700);
    two.child.kill('SIGTERM');
    assert.equal(await two.exit, 137);
    assert.ok(Date.now() - t1 < 5000, `a second SIGTERM ends it at once (${Date.now() - t1} ms)`);
    for (const name of ['stubborn-1', 'stubborn-2']) {
      assert.equal(sessions(state.path).find((x) => x.name === name)?.status, 'ended');
    }
  });

  test('warden session kill ends a live run, which says how its agent ended', async (t) => {
    if (!needKernel(t)) return;
    const run = start(state.path, ['--name', 'operator-kill', '--', 'sleep', '60']);
    const s = await running(state.path, 'operator-kill', run);
    const t0 = Date.now();
    const kill = warden(state.path, ['session', 'kill', s.id]);
    assert.equal(kill.status, 0, kill.stderr);
    assert.equal(await run.exit, 137);
    assert.ok(Date.now() - t0 < 5000, `ended promptly (${Date.now() - t0} ms)`);
  });
});
