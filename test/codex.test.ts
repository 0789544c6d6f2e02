/**
 * A second real agent CLI: Codex (from npm) under `warden run`, driven by a
 * scripted Responses API through Warden's proxy. Codex tries a WebSocket
 * first; the scripted endpoint refuses it, as does the proxy's relay in turn,
 * and Codex falls back to HTTP streaming (the relay itself is unit-tested).
 * Its tool calls are recorded, each linked to what the kernel saw; a
 * forbidden read is refused by the kernel inside its call; a covert
 * connection is flagged. The session is hosted by a running daemon (the
 * Claude Code test runs standalone), so the LLM proxy, hooks and correlation
 * are shown working inside the daemon too.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import type { Alert, ToolCall } from '../src/model/records.js';
import type { WardenEvent } from '../src/model/events.js';
import { CODEX_SYSTEM_HOOKS } from '../src/cli/hooks.js';
import { ScriptedResponses } from './fixtures/scripted-responses.js';
import {
  covertListener,
  needKernel,
  ROOT,
  sabotageWorkspace,
  secretsPolicy,
  startDaemon,
  stateDir,
  tempDir,
  warden,
  wardenAsync,
} from './helpers.js';

type Timeline = { turns: Array<{ toolCalls: Array<ToolCall & { events: WardenEvent[] }> }>; alerts: Alert[] };
/* WARDEN_TEST_CODEX: another Codex (the latest release) to run this test with */
const CODEX = process.env.WARDEN_TEST_CODEX ?? join(ROOT, 'node_modules', '.bin', 'codex');
/** `codex exec` of `prompt`, unattended, against the scripted model */
const codexExec = (prompt: string): string[] => [
  CODEX,
  'exec',
  '--skip-git-repo-check',
  '--dangerously-bypass-approvals-and-sandbox',
  '-m',
  'gpt-scripted',
  prompt,
];

test('Codex under warden run: tool calls through the proxy, linked, refused and flagged', async (t) => {
  if (!needKernel(t)) return;
  const state = stateDir('codex');
  const ws = tempDir('codex-ws');
  const home = tempDir('codex-home');
  const pdir = tempDir('codex-policy');
  const covertPort = await covertListener(t);
  const daemon = await startDaemon(state.path);
  t.after(async () => {
    await daemon.stop();
    [state, ws, home, pdir].forEach((d) => d.cleanup());
  });
  sabotageWorkspace(ws.path, covertPort);
  const policy = secretsPolicy(pdir.path, 'codex-test');
  const model = new ScriptedResponses(
    [
      { commands: ['echo hello > notes.txt && cat notes.txt'] },
      { commands: ['cat secrets/key.txt'] },
      { commands: ['./run-tests.sh'] },
    ],
    ws.path,
    false,
  );
  const upstream = await model.listen();
  t.after(() => model.close());
  const run = await wardenAsync(
    state.path,
    ['run', '-v', '--policy', policy, '-w', ws.path, '--', ...codexExec('run the tests')],
    {
      cwd: ws.path,
      env: { OPENAI_API_KEY: 'sk-test-not-real', CODEX_HOME: home.path, WARDEN_OPENAI_UPSTREAM: upstream },
      timeoutMs: 120000,
    },
  );
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /added -c openai_base_url=/);
  assert.match(run.stderr, new RegExp(`hosted by the warden daemon \\(pid ${daemon.child.pid}\\)`));
  assert.ok(model.seen.length >= 4, 'every turn reached the model through the proxy');
  const tl = JSON.parse(warden(state.path, ['timeline', '--last', '--json']).stdout) as Timeline;
  const calls = new Map(tl.turns.flatMap((x) => x.toolCalls).map((c) => [c.id, c]));
  const [writeId, secretId, covertId] = model.callIds;
  const w = calls.get(writeId ?? '');
  assert.ok(w, `call ${writeId} recorded (have ${[...calls.keys()].join(', ')})`);
  assert.equal(w.name, 'exec_command');
  assert.ok(
    w.events.some(
      (e) => e.type === 'open' && e.path === join(ws.path, 'notes.txt') && e.flagNames.includes('O_WRONLY'),
    ),
  );
  const s = calls.get(secretId ?? '');
  assert.equal(
    s?.events.find((e) => e.type === 'open' && e.path.endsWith('secrets/key.txt'))?.decision?.verdict,
    'denied',
  );
  const c = calls.get(covertId ?? '');
  assert.ok(c?.events.some((e) => e.type === 'connect' && e.daddr === '127.0.0.3'));
  assert.ok(tl.alerts.some((a) => a.detector === 'intent-mismatch' && a.toolCallId === covertId));
  assert.deepEqual(
    tl.alerts.filter((a) => a.detector === 'undeclared-action').map((a) => a.message),
    [],
  );
});

test("Codex's own hooks (warden hooks install --agent codex) ask the session: a refused command never runs, and the model hears why", async (t) => {
  if (!needKernel(t)) return;
  const state = stateDir('codex-hooks');
  const ws = tempDir('codex-hooks-ws');
  const home = tempDir('codex-hooks-home');
  t.after(() => [state, ws, home].forEach((d) => d.cleanup()));
  const codexHome = join(home.path, '.codex');
  mkdirSync(codexHome);
  mkdirSync(join(home.path, '.ssh'));
  writeFileSync(join(home.path, '.ssh', 'id_rsa'), 'not a real key\n');
  const env = { HOME: home.path, CODEX_HOME: codexHome };
  const install = (where: string) =>
    spawnSync(join(ROOT, 'bin', 'warden'), ['hooks', 'install', '--agent', 'codex', where], {
      env: { ...process.env, ...env, WARDEN_STATE_DIR: state.path },
      encoding: 'utf8',
    });
  /* the user's hooks.json: Codex asks the user to review it first (and skips it meanwhile), said */
  const user = install('--user');
  assert.equal(user.status, 0, user.stderr);
  assert.match(user.stdout, /review it in Codex with \/hooks/);
  const hooks = JSON.parse(readFileSync(join(codexHome, 'hooks.json'), 'utf8')) as {
    hooks: Record<string, Array<{ hooks: Array<{ command: string }> }>>;
  };
  assert.match(hooks.hooks.PreToolUse?.[0]?.hooks[0]?.command ?? '', /warden-hook' --agent codex$/);
  /* the managed one, which Codex runs with no review: the whole host's, so removed after */
  assert.ok(!existsSync(CODEX_SYSTEM_HOOKS), `${CODEX_SYSTEM_HOOKS} exists already: not overwriting the host's`);
  const hadDir = existsSync(dirname(CODEX_SYSTEM_HOOKS));
  t.after(() => {
    rmSync(CODEX_SYSTEM_HOOKS, { force: true });
    if (!hadDir) rmSync(dirname(CODEX_SYSTEM_HOOKS), { recursive: true, force: true });
  });
  const system = install('--system');
  assert.equal(system.status, 0, system.stderr);
  const model = new ScriptedResponses(
    [{ commands: ['cat ~/.ssh/id_rsa'] }, { commands: ['echo fine'] }],
    ws.path,
    false,
  );
  const upstream = await model.listen();
  t.after(() => model.close());
  const run = await wardenAsync(state.path, ['run', '-w', ws.path, '--', ...codexExec('read my key')], {
    cwd: ws.path,
    env: { ...env, OPENAI_API_KEY: 'sk-test-not-real', WARDEN_OPENAI_UPSTREAM: upstream },
    timeoutMs: 120000,
  });
  assert.equal(run.status, 0, run.stderr);
  const after = JSON.stringify(model.seen.slice(1));
  assert.match(after, /Warden: [^"]*\(rule files\.denyRead\[\d+\] of policy coding-agent\)/, 'the model hears why');
  assert.doesNotMatch(after, /not a real key/);
  const tl = JSON.parse(warden(state.path, ['timeline', '--last', '--json']).stdout) as Timeline;
  const calls = tl.turns.flatMap((x) => x.toolCalls);
  const refused = calls.find((c) => c.id === model.callIds[0]);
  assert.equal(refused?.decision?.verdict, 'denied', JSON.stringify(calls.map((c) => [c.id, c.decision])));
  assert.ok(!refused?.events.some((e) => e.type === 'exec' && e.argv[0] === 'cat'), 'the refused command never ran');
  const fine = calls.find((c) => c.id === model.callIds[1]);
  assert.ok(
    fine?.events.some((e) => e.type === 'exec'),
    'an allowed command runs',
  );
});

test('Codex with a provider of its own in config.toml (a local model server) goes through the proxy: its turns are recorded', async (t) => {
  if (!needKernel(t)) return;
  const state = stateDir('codex-provider');
  const ws = tempDir('codex-provider-ws');
  const home = tempDir('codex-provider-home');
  const pdir = tempDir('codex-provider-policy');
  t.after(() => [state, ws, home, pdir].forEach((d) => d.cleanup()));
  const model = new ScriptedResponses([{ commands: ['echo local > notes.txt'] }], ws.path, false);
  const upstream = await model.listen();
  t.after(() => model.close());
  writeFileSync(
    join(home.path, 'config.toml'),
    [
      'model_provider = "local"',
      '[model_providers.local]',
      'name = "a local model server"',
      `base_url = "${upstream}"`,
      'wire_api = "responses"',
      'env_key = "LOCAL_MODEL_KEY"',
    ].join('\n') + '\n',
  );
  const run = await wardenAsync(
    state.path,
    ['run', '-v', '--policy', secretsPolicy(pdir.path, 'codex-provider'), '-w', ws.path, '--', ...codexExec('note it')],
    { cwd: ws.path, env: { CODEX_HOME: home.path, LOCAL_MODEL_KEY: 'not-real' }, timeoutMs: 120000 },
  );
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, new RegExp(`local -> ${upstream.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.ok(model.seen.length >= 2, 'the local server was asked');
  const tl = JSON.parse(warden(state.path, ['timeline', '--last', '--json']).stdout) as Timeline;
  const calls = tl.turns.flatMap((x) => x.toolCalls);
  assert.ok(tl.turns.length >= 2, 'its turns went through the proxy');
  assert.ok(
    calls.find((c) => c.id === model.callIds[0])?.events.some((e) => e.type === 'open' && e.path.endsWith('notes.txt')),
    'its call is linked to what it did',
  );
});
