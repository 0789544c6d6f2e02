/**
 * `warden run` registered with a running daemon: the daemon's one sensor and
 * pipeline watch every session, while the run starts the agent itself. Shown
 * for real, as root: sessions side by side, each with only its own events; a
 * denial and a quarantine; the API token out of an agent's reach; a bad
 * token refused; a run that dies takes its session with it; a daemon that
 * goes away (stopped or killed) leaves its sessions frozen, never unwatched.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { request } from '../src/rpc/client.js';
import {
  alive,
  covertListener,
  sessionRows,
  jsonLines,
  needKernel,
  ROOT,
  startDaemon,
  stateDir,
  tempDir,
  warden,
  wardenAsync,
  WARDEN,
  type TestDaemon,
} from './helpers.js';

type SessionRow = { id: string; status: string; cgroup: string; rootPid: number | null; name: string };
type EventRow = { type: string; argv?: string[]; path?: string; decision?: { verdict: string; rule: string } };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const sessions = (state: string): SessionRow[] => sessionRows<SessionRow>(state);
const events = (state: string, id: string): EventRow[] =>
  jsonLines<EventRow>(warden(state, ['events', '--session', id, '--json']).stdout);

/** Polls until `fn` holds (bounded). */
async function until(fn: () => boolean, ms = 10000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (fn()) return true;
    await sleep(50);
  }
  return fn();
}

/** A `warden run` left running, its exit and stderr collected. */
function background(
  state: string,
  args: string[],
): { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(WARDEN, ['run', '-q', ...args], {
    env: { ...process.env, WARDEN_STATE_DIR: state },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stderr })),
  );
  return { child, done };
}

/** The running session named `name`, once the daemon has opened it and the agent started. */
async function runningSession(state: string, name: string): Promise<SessionRow> {
  let row: SessionRow | undefined;
  await until(() => {
    row = sessions(state).find((s) => s.name === name && s.status === 'running' && s.rootPid !== null);
    return row !== undefined;
  });
  assert.ok(row, `session ${name} is running`);
  return row;
}

const frozen = (cgroup: string): boolean => /^frozen 1$/m.test(readFileSync(join(cgroup, 'cgroup.events'), 'utf8'));

describe('sessions hosted by the daemon', () => {
  const state = stateDir('hosted');
  const ws = tempDir('hosted-ws');
  let daemon: TestDaemon | undefined;

  before(async () => {
    if (process.getuid?.() === 0) daemon = await startDaemon(state.path);
  });
  after(async () => {
    await daemon?.stop();
    ws.cleanup();
    state.cleanup();
  });

  test('two sessions at once: both register, each has only its own events, and the token is out of reach', async (t) => {
    if (!needKernel(t)) return;
    const token = join(state.path, 'api.token');
    const run = (marker: string) =>
      wardenAsync(state.path, [
        'run',
        '-v',
        '--name',
        marker,
        '--',
        'sh',
        '-c',
        `sleep 0.5; echo ${marker}; cat ${token}`,
      ]);
    const [a, b] = await Promise.all([run('hosted-a'), run('hosted-b')]);
    for (const [r, marker] of [
      [a, 'hosted-a'],
      [b, 'hosted-b'],
    ] as const) {
      assert.match(r.stderr, new RegExp(`session \\S+ is hosted by the warden daemon \\(pid ${daemon?.child.pid}\\)`));
      assert.equal(r.status, 1, 'cat of the token failed, so the command did');
      assert.match(r.stdout, new RegExp(`^${marker}$`, 'm'));
      assert.doesNotMatch(r.stdout, new RegExp(daemon?.token ?? 'no token'));
      assert.match(r.stderr, /api\.token: Operation not permitted/);
      const s = sessions(state.path).find((x) => x.name === marker);
      assert.equal(s?.status, 'ended');
      const evs = events(state.path, s?.id ?? '');
      const cats = evs.filter((e) => e.type === 'exec' && e.argv?.[0] === 'cat');
      assert.equal(cats.length, 1, 'its own cat, and not the other session’s');
      const denied = evs.find((e) => e.type === 'open' && e.path === token);
      assert.equal(denied?.decision?.verdict, 'denied');
      assert.equal(denied?.decision?.rule, 'warden.self-protection');
      const other = marker === 'hosted-a' ? 'hosted-b' : 'hosted-a';
      assert.ok(!evs.some((e) => e.argv?.includes(`sleep 0.5; echo ${other}; cat ${token}`)));
    }
  });

  test("the native client (sensor/run) takes the CLI's option shapes; what it does not take goes to the CLI", async (t) => {
    if (!needKernel(t)) return;
    const sub = join(ws.path, 'sub');
    mkdirSync(sub, { recursive: true });
    const policy = readFileSync(join(ROOT, 'policies', 'coding-agent.yaml'), 'utf8').replace(
      /name: coding-agent/,
      'name: native-shapes',
    );
    writeFileSync(join(sub, 'mine.yaml'), policy);
    /* --x=v, clustered short flags, a short flag's value glued on, relative paths (the run's cwd) */
    const shaped = await wardenAsync(
      state.path,
      [
        'run',
        '--name=native-eq',
        '-qv',
        '-psub/mine.yaml',
        '-w',
        'sub',
        '--json-events',
        'ev.jsonl',
        '--',
        'sh',
        '-c',
        'exit 3',
      ],
      { cwd: ws.path },
    );
    assert.equal(shaped.status, 3, shaped.stderr);
    assert.match(shaped.stderr, /is hosted by the warden daemon/);
    assert.doesNotMatch(shaped.stderr, /warden session/, '-q: no summary');
    const row = sessionRows<SessionRow & { policy: string | null; cwd: string }>(state.path).find(
      (x) => x.name === 'native-eq',
    );
    assert.equal(row?.policy, 'native-shapes (enforce)');
    assert.equal(row?.cwd, ws.path);
    assert.ok(readFileSync(join(ws.path, 'ev.jsonl'), 'utf8').includes('"exec"'), 'events written where the run is');
    /* the last of --policy and --no-policy wins; without -q the summary and tree follow */
    const summed = await wardenAsync(state.path, ['run', '-p', 'sub/mine.yaml', '--no-policy', '--', 'true'], {
      cwd: ws.path,
    });
    assert.equal(summed.status, 0, summed.stderr);
    assert.match(summed.stderr, /warden session \S+ \(true\): exit 0/);
    assert.match(summed.stderr, /monitor only \(no policy\)/);
    /* no --: the CLI's own parser takes it, and the agent never sees the hand-back */
    const handed = await wardenAsync(state.path, ['run', '-q', '-v', 'env'], { cwd: ws.path });
    assert.equal(handed.status, 0, handed.stderr);
    assert.match(handed.stderr, /is hosted by the warden daemon/);
    assert.match(handed.stdout, /^WARDEN_SESSION=/m);
    assert.doesNotMatch(handed.stdout, /WARDEN_RUN_JS/);
    /* a policy the daemon cannot load is said as the daemon says it */
    const missing = await wardenAsync(state.path, ['run', '-p', 'nothing.yaml', '--', 'true'], { cwd: ws.path });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /did not open the session: no policy file nothing\.yaml/);
  });

  test('a denial under onViolation quarantine: frozen, and the run is told so and exits 125', async (t) => {
    if (!needKernel(t)) return;
    const port = await covertListener(t, '127.0.0.2');
    const policy = join(ws.path, 'q.yaml');
    writeFileSync(
      policy,
      'apiVersion: warden.dev/v1\nkind: Policy\nmetadata: {name: hosted-quarantine}\nmode: enforce\n' +
        'onViolation: quarantine\nnetwork:\n  allow: [127.0.0.1]\n',
    );
    let id = '';
    t.after(() => void (id && warden(state.path, ['session', 'kill', id])));
    const { done } = background(state.path, [
      '--name',
      'hosted-q',
      '--policy',
      policy,
      '-w',
      ws.path,
      '--',
      'bash',
      '-c',
      `(exec 3<>/dev/tcp/127.0.0.2/${port}) 2>/dev/null; touch ${ws.path}/after; sleep 30`,
    ]);
    const { code, stderr } = await done;
    const s = sessions(state.path).find((x) => x.name === 'hosted-q');
    id = s?.id ?? '';
    assert.equal(code, 125, stderr);
    assert.match(stderr, /quarantined \(frozen\): network\.allow/);
    assert.equal(s?.status, 'quarantined');
    assert.ok(s && frozen(s.cgroup), 'its cgroup is frozen');
    /* a refused connect is stopped in the kernel before the call returns, then frozen */
    assert.equal(existsSync(join(ws.path, 'after')), false, 'frozen before its next step');
    const evs = events(state.path, id);
    assert.ok(evs.some((e) => e.type === 'connect' && e.decision?.verdict === 'denied'));
    assert.ok(evs.some((e) => e.type === 'action'));
    const kill = warden(state.path, ['session', 'kill', id]);
    assert.equal(kill.status, 0, kill.stderr);
    id = '';
  });

  test('a wrong token, or none, is refused on the control socket', async (t) => {
    if (!needKernel(t)) return;
    const control = join(state.path, 'run', 'control.sock');
    const before = sessions(state.path).length;
    const open = (token: string) =>
      request(control, 'open', {
        token,
        command: ['true'],
        cwd: '/',
        policy: null,
        workspace: '/',
        clientPid: process.pid,
        env: { WARDEN_DNS_UPSTREAM: '127.0.0.1:9', WARDEN_ANTHROPIC_UPSTREAM: 'http://127.0.0.1:9' },
      });
    await assert.rejects(open('f'.repeat(64)), /wrong token/);
    await assert.rejects(request(control, 'open', { command: ['true'] }), /token/);
    await assert.rejects(request(control, 'started', { pid: 1 }), /open one first/);
    assert.equal(sessions(state.path).length, before, 'no session was opened');
  });

  test('a run that dies takes its session with it: processes killed, cgroup gone, marked failed', async (t) => {
    if (!needKernel(t)) return;
    const { child, done } = background(state.path, ['--name', 'hosted-dies', '--', 'sleep', '30']);
    const s = await runningSession(state.path, 'hosted-dies');
    const agentPid = s.rootPid ?? 0;
    child.kill('SIGKILL');
    await done;
    assert.ok(await until(() => sessions(state.path).find((x) => x.id === s.id)?.status === 'failed'));
    assert.ok(await until(() => !existsSync(s.cgroup)), 'its cgroup is removed');
    assert.ok(await until(() => !alive(agentPid)), 'the agent is gone');
  });

  test('--standalone runs a sensor of its own even with the daemon up', async (t) => {
    if (!needKernel(t)) return;
    const r = await wardenAsync(state.path, ['run', '--standalone', '-v', '--name', 'alone', '--', 'true']);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /hosted by the warden daemon/);
    assert.equal(sessions(state.path).find((x) => x.name === 'alone')?.status, 'ended');
  });
});

describe('a daemon that goes away leaves its sessions frozen, never unwatched', () => {
  const state = stateDir('hosted-gone');
  after(() => state.cleanup());

  async function hostedThenGone(t: TestContext, signal: NodeJS.Signals, name: string) {
    const daemon = await startDaemon(state.path);
    t.after(() => daemon.stop('SIGKILL'));
    const { done } = background(state.path, ['--name', name, '--', 'sleep', '30']);
    const s = await runningSession(state.path, name);
    /* a frozen session left behind would hold this test's pipes open: end it whatever happens */
    t.after(() => void warden(state.path, ['session', 'kill', s.id]));
    await daemon.stop(signal);
    const { code, stderr } = await done;
    assert.equal(code, 125, stderr);
    assert.ok(frozen(s.cgroup), 'frozen');
    assert.equal(sessions(state.path).find((x) => x.id === s.id)?.status, 'quarantined');
    const kill = warden(state.path, ['session', 'kill', s.id]);
    assert.equal(kill.status, 0, kill.stderr);
    return { stderr, daemon: daemon.stderr() };
  }

  test('stopped (SIGTERM): it quarantines them and tells their runs', async (t) => {
    if (!needKernel(t)) return;
    const { stderr, daemon } = await hostedThenGone(t, 'SIGTERM', 'gone-term');
    assert.match(stderr, /quarantined \(frozen\): the warden daemon stopped/);
    assert.match(daemon, /1 running session\(s\) quarantined/);
  });

  test('killed (SIGKILL): the run sees it gone and freezes the session itself', async (t) => {
    if (!needKernel(t)) return;
    const { stderr } = await hostedThenGone(t, 'SIGKILL', 'gone-kill');
    assert.match(stderr, /quarantined \(frozen\): the warden daemon went away/);
  });
});
