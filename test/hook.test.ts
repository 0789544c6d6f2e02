/**
 * `warden hook` and `warden hooks install`, as Claude Code runs them. When no
 * session answers, a forbidden call is still refused: the hook decides under
 * the policy file itself, and refuses when it cannot decide at all.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { needKernel, ROOT, startDaemon, stateDir, tempDir, WARDEN, warden } from './helpers.js';

function hook(input: unknown, env: NodeJS.ProcessEnv = {}, args: string[] = []) {
  const { WARDEN_SOCKET: _s, WARDEN_SESSION: _id, ...rest } = process.env;
  const r = spawnSync(WARDEN, ['hook', ...args], {
    input: typeof input === 'string' ? input : JSON.stringify(input),
    encoding: 'utf8',
    env: { ...rest, ...env },
  });
  const out = r.stdout.trim() ? (JSON.parse(r.stdout) as { hookSpecificOutput?: Record<string, string> }) : undefined;
  return { status: r.status, out: out?.hookSpecificOutput, stderr: r.stderr };
}

const pre = (command: string, cwd = '/tmp') => ({
  hook_event_name: 'PreToolUse',
  tool_name: 'Bash',
  tool_input: { command },
  tool_use_id: 'toolu_x',
  cwd,
});

test('with its session gone, the hook still refuses what the policy forbids', () => {
  const down = { WARDEN_SOCKET: '/run/warden-tests/no-such-session.sock', WARDEN_SESSION: 'gone' };
  const r = hook(pre('cat ~/.ssh/id_rsa'), down);
  assert.equal(r.status, 0);
  assert.equal(r.out?.permissionDecision, 'deny');
  assert.match(r.out?.permissionDecisionReason ?? '', /files\.denyRead.*decided locally: the session did not answer/);
  const ok = hook(pre('ls -la'), down);
  assert.equal(ok.status, 0);
  assert.equal(ok.out, undefined, 'an allowed call is let through');
});

test('outside any session the policy file decides; no decision possible means refused', () => {
  const r = hook(pre('echo x >> ~/.bashrc'));
  assert.equal(r.out?.permissionDecision, 'deny');
  assert.match(r.out?.permissionDecisionReason ?? '', /never writable/);
  const broken = hook(pre('ls'), {}, ['--policy', '/nonexistent/policy.yaml']);
  assert.equal(broken.out?.permissionDecision, 'deny');
  assert.match(broken.out?.permissionDecisionReason ?? '', /no decision could be made/);
  const garbage = hook('{"hook_event_name": "PreTo');
  assert.equal(garbage.status, 2, 'unreadable input blocks the call');
});

test('hooks install adds Warden beside other hooks, idempotently; uninstall removes only Warden', () => {
  const dir = tempDir('hooks');
  try {
    mkdirSync(join(dir.path, '.claude'));
    const other = { matcher: 'Bash', hooks: [{ type: 'command', command: 'echo mine' }] };
    writeFileSync(
      join(dir.path, '.claude', 'settings.json'),
      JSON.stringify({ model: 'x', hooks: { PreToolUse: [other] } }),
    );
    for (let i = 0; i < 2; i++)
      assert.equal(warden('/run/warden-tests', ['hooks', 'install', '--project', dir.path]).status, 0);
    const s = JSON.parse(readFileSync(join(dir.path, '.claude', 'settings.json'), 'utf8')) as {
      model: string;
      hooks: Record<string, Array<{ hooks: Array<{ command: string }> }>>;
    };
    assert.equal(s.model, 'x');
    assert.equal(s.hooks.PreToolUse?.length, 2);
    assert.match(s.hooks.PreToolUse?.[1]?.hooks[0]?.command ?? '', /sensor\/build\/warden-hook'$/);
    assert.equal(s.hooks.PostToolUse?.length, 1);
    assert.equal(warden('/run/warden-tests', ['hooks', 'uninstall', '--project', dir.path]).status, 0);
    const after = JSON.parse(readFileSync(join(dir.path, '.claude', 'settings.json'), 'utf8')) as typeof s;
    assert.deepEqual(after.hooks, { PreToolUse: [other] });
  } finally {
    dir.cleanup();
  }
});

test('inside a session the native hook asks the session: a refusal in the hook format, an allowed call untouched', (t) => {
  if (!needKernel(t)) return;
  const state = stateDir('hook-native');
  const ws = tempDir('hook-native-ws');
  try {
    const native = join(ROOT, 'sensor', 'build', 'warden-hook');
    /* pretty-printed, as a CLI may write it: the hook sends it as one line */
    const denied = JSON.stringify(
      { ...pre('cat ~/.ssh/id_rsa "a \\"quoted\\" name"', ws.path), tool_use_id: 'toolu_denied' },
      null,
      2,
    );
    writeFileSync(join(ws.path, 'denied.json'), denied);
    writeFileSync(join(ws.path, 'allowed.json'), JSON.stringify(pre('ls -la', ws.path)));
    const script = [
      `${native} < denied.json > denied.out 2> denied.err`,
      `${native} < allowed.json > allowed.out 2> allowed.err`,
      /* timed: 20 calls */
      `s=$(date +%s%N); for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do ${native} < allowed.json; done; e=$(date +%s%N); echo $(( (e - s) / 20000 )) > per-call-us`,
    ].join('\n');
    const run = warden(state.path, ['run', '-q', '-w', ws.path, '--', '/bin/sh', '-c', `cd ${ws.path} && ${script}`]);
    assert.equal(run.status, 0, run.stderr);
    const read = (f: string): string => readFileSync(join(ws.path, f), 'utf8');
    assert.equal(read('denied.err'), '', 'the session answered: no hand-over to the JavaScript hook');
    const out = JSON.parse(read('denied.out')) as { hookSpecificOutput: Record<string, string> };
    assert.equal(out.hookSpecificOutput.hookEventName, 'PreToolUse');
    assert.equal(out.hookSpecificOutput.permissionDecision, 'deny');
    assert.match(
      out.hookSpecificOutput.permissionDecisionReason ?? '',
      /^Warden: .+ \(rule files\.denyRead\[\d+\] of policy coding-agent\)$/,
    );
    assert.equal(read('allowed.out'), '');
    assert.equal(read('allowed.err'), '');
    const perCall = Number(read('per-call-us'));
    t.diagnostic(`native hook inside a session: ${perCall} us per call`);
    const tl = JSON.parse(warden(state.path, ['timeline', '--last', '--json']).stdout) as {
      otherToolCalls: Array<{ decision?: { verdict: string; by: string } }>;
    };
    const decided = tl.otherToolCalls.map((c) => `${c.decision?.verdict} by ${c.decision?.by}`);
    assert.ok(decided.includes('denied by hook'), `the session recorded the refused call: ${decided.join(', ')}`);
  } finally {
    ws.cleanup();
    state.cleanup();
  }
});

test('outside any session, with a daemon up, the native hook asks the daemon: the same decisions, said so', async (t) => {
  if (!needKernel(t)) return;
  const state = stateDir('hook-daemon');
  const daemon = await startDaemon(state.path);
  try {
    const env = { WARDEN_STATE_DIR: state.path };
    const r = hook(pre('cat ~/.ssh/id_rsa'), env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'the daemon answered: no hand-over to the JavaScript hook');
    assert.equal(r.out?.permissionDecision, 'deny');
    assert.match(
      r.out?.permissionDecisionReason ?? '',
      /^Warden: .+ \(rule files\.denyRead\[\d+\] of policy coding-agent; decided by the warden daemon: not inside a warden run session\)$/,
    );
    const ok = hook(pre('ls -la'), env);
    assert.equal(ok.out, undefined, 'an allowed call is let through');
    assert.equal(ok.stderr, '');
    /* a policy the daemon cannot load: the JavaScript hook decides, and refuses */
    const broken = hook(pre('ls'), env, ['--policy', '/nonexistent/policy.yaml']);
    assert.equal(broken.out?.permissionDecision, 'deny');
    assert.match(broken.out?.permissionDecisionReason ?? '', /no decision could be made/);
    const started = process.hrtime.bigint();
    for (let i = 0; i < 20; i++) hook(pre('ls -la'), env);
    t.diagnostic(
      `native hook outside a session, daemon up: ${Number(process.hrtime.bigint() - started) / 20e6} ms a call (spawnSync included)`,
    );
  } finally {
    await daemon.stop();
    state.cleanup();
  }
});
