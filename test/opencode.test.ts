/**
 * A fourth real agent CLI: opencode (from npm) under `warden run` and the default policy, its
 * built-in Anthropic provider driven by a scripted Messages API endpoint through Warden's proxy.
 * That provider's client appends `/messages` to ANTHROPIC_BASE_URL, which Warden points at the
 * proxy's root: the proxy takes it as the API's `/v1/messages`. Each tool call is linked to
 * what the kernel saw; a forbidden read is refused inside its call; a covert connection is
 * flagged; its own start-up raises nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Alert, ToolCall } from '../src/model/records.js';
import type { WardenEvent } from '../src/model/events.js';
import { ScriptedModel } from './fixtures/scripted-model.js';
import {
  covertListener,
  needKernel,
  ROOT,
  sabotageWorkspace,
  secretsPolicy,
  stateDir,
  tempDir,
  warden,
  wardenAsync,
} from './helpers.js';

type Timeline = {
  turns: Array<{ toolCalls: Array<ToolCall & { events: WardenEvent[] }> }>;
  alerts: Alert[];
};
/* WARDEN_TEST_OPENCODE: another opencode (the latest release) to run this test with. The pinned
 * one is its Linux x64 binary package itself (opencode-ai's other platforms are not all in this
 * machine's registry, which `npm ci` then refuses) */
const OPENCODE =
  process.env.WARDEN_TEST_OPENCODE ?? join(ROOT, 'node_modules', 'opencode-linux-x64', 'bin', 'opencode');

/** opencode's environment in a test: its own home, a key that is not real, nothing fetched from the internet. */
const opencodeEnv = (home: string): NodeJS.ProcessEnv => ({
  HOME: home,
  ANTHROPIC_API_KEY: 'test-key-not-real',
  WARDEN_DNS_UPSTREAM: '127.0.0.1:9' /* its model catalogue is not fetched from the internet here */,
  OPENCODE_DISABLE_AUTOUPDATE: '1',
  OPENCODE_DISABLE_MODELS_FETCH: '1',
});

test('opencode under warden run: tool calls through the proxy, linked, refused and flagged', async (t) => {
  if (!needKernel(t)) return;
  const state = stateDir('opencode');
  const ws = tempDir('opencode-ws');
  const home = tempDir('opencode-home');
  const pdir = tempDir('opencode-policy');
  const covertPort = await covertListener(t);
  t.after(() => [state, ws, home, pdir].forEach((d) => d.cleanup()));
  sabotageWorkspace(ws.path, covertPort);
  const policy = secretsPolicy(pdir.path, 'opencode-test');
  const bash = (command: string) => ({ name: 'bash', input: { command, description: 'run it' } });
  const model = new ScriptedModel([
    { tools: [bash('echo hello > notes.txt && cat notes.txt')] },
    { tools: [bash('cat secrets/key.txt')] },
    { tools: [bash('./run-tests.sh')] },
    { text: 'Done.' },
  ]);
  const upstream = await model.listen();
  t.after(() => model.close());
  const run = await wardenAsync(
    state.path,
    [
      'run',
      '--policy',
      policy,
      '-w',
      ws.path,
      '--',
      OPENCODE,
      'run',
      '--model',
      'anthropic/claude-sonnet-4-5',
      'run the tests',
    ],
    {
      cwd: ws.path,
      env: { ...opencodeEnv(home.path), WARDEN_ANTHROPIC_UPSTREAM: upstream },
      timeoutMs: 120000,
    },
  );
  assert.equal(run.status, 0, run.stderr);
  const main = model.seen.filter((s) => s.path.startsWith('/v1/messages') && s.body.includes('"tools"'));
  assert.equal(
    main.length,
    4,
    `every turn reached the model through the proxy: ${model.seen.map((s) => s.path).join(', ')}`,
  );

  const tl = JSON.parse(warden(state.path, ['timeline', '--last', '--json']).stdout) as Timeline;
  const calls = tl.turns.flatMap((x) => x.toolCalls);
  assert.deepEqual(
    calls.map((c) => c.id),
    model.toolUseIds,
    'each call once, under the id the model gave it',
  );
  const [write, secret, covert] = calls;
  for (const c of calls) assert.ok(c.result, `the result of ${c.id} was found in the next request`);
  assert.match(write?.result?.text ?? '', /hello/);
  assert.ok(
    write?.events.some(
      (e) => e.type === 'open' && e.path === join(ws.path, 'notes.txt') && e.flagNames.includes('O_WRONLY'),
    ),
    'the write of notes.txt is under its call',
  );
  assert.equal(
    secret?.events.find((e) => e.type === 'open' && e.path.endsWith('secrets/key.txt'))?.decision?.verdict,
    'denied',
  );
  assert.ok(covert?.events.some((e) => e.type === 'connect' && e.daddr === '127.0.0.3'));
  assert.ok(tl.alerts.some((a) => a.detector === 'intent-mismatch' && a.toolCallId === covert?.id));
  assert.deepEqual(
    tl.alerts.filter((a) => a.detector === 'undeclared-action').map((a) => a.message),
    [],
    'its own start-up raises nothing',
  );
});

test('opencode with a base URL of its own in opencode.json is pointed at the proxy: its turns are recorded', async (t) => {
  if (!needKernel(t)) return;
  const state = stateDir('opencode-baseurl');
  const ws = tempDir('opencode-baseurl-ws');
  const home = tempDir('opencode-baseurl-home');
  const pdir = tempDir('opencode-baseurl-policy');
  t.after(() => [state, ws, home, pdir].forEach((d) => d.cleanup()));
  const model = new ScriptedModel([
    { tools: [{ name: 'bash', input: { command: 'echo routed > routed.txt', description: 'write it' } }] },
    { text: 'Done.' },
  ]);
  const upstream = await model.listen();
  t.after(() => model.close());
  /* the usual local-model or gateway set-up: the provider's address written in the project's config */
  writeFileSync(
    join(ws.path, 'opencode.json'),
    JSON.stringify({ provider: { anthropic: { options: { baseURL: `${upstream}/v1` } } } }),
  );
  const policy = secretsPolicy(pdir.path, 'opencode-baseurl');
  const run = await wardenAsync(
    state.path,
    ['run', '--policy', policy, '-w', ws.path, '--', OPENCODE, 'run', '--model', 'anthropic/claude-sonnet-4-5', 'go'],
    {
      cwd: ws.path,
      env: opencodeEnv(home.path),
      timeoutMs: 120000,
    },
  );
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /opencode's providers with a base URL of their own go through Warden's proxy: anthropic ->/);
  assert.ok(
    model.seen.some((s) => s.path === '/v1/messages'),
    'the provider got the requests at its own path',
  );
  const tl = JSON.parse(warden(state.path, ['timeline', '--last', '--json']).stdout) as Timeline;
  const calls = tl.turns.flatMap((x) => x.toolCalls);
  assert.deepEqual(
    calls.map((c) => c.id),
    model.toolUseIds,
    'its turns went through the proxy: the call is recorded',
  );
  assert.ok(calls[0]?.events.some((e) => e.type === 'open' && e.path === join(ws.path, 'routed.txt')));
});

test("Warden's opencode plugin (warden hooks install --agent opencode) asks the session: a refused command never runs, the model hears why", async (t) => {
  if (!needKernel(t)) return;
  const state = stateDir('opencode-plugin');
  const ws = tempDir('opencode-plugin-ws');
  const home = tempDir('opencode-plugin-home');
  t.after(() => [state, ws, home].forEach((d) => d.cleanup()));
  mkdirSync(join(home.path, '.ssh'));
  writeFileSync(join(home.path, '.ssh', 'id_rsa'), 'not a real key\n');
  const hooks = (verb: string) =>
    spawnSync(join(ROOT, 'bin', 'warden'), ['hooks', verb, '--agent', 'opencode', '--user'], {
      env: { ...process.env, HOME: home.path, WARDEN_STATE_DIR: state.path },
      encoding: 'utf8',
    });
  const installed = hooks('install');
  assert.equal(installed.status, 0, installed.stderr);
  const plugin = join(home.path, '.config', 'opencode', 'plugins', 'warden.js');
  assert.match(readFileSync(plugin, 'utf8'), /warden-hook/);
  const bash = (command: string) => ({ name: 'bash', input: { command, description: 'run it' } });
  const model = new ScriptedModel([
    { tools: [bash('cat ~/.ssh/id_rsa')] },
    { tools: [bash('echo fine')] },
    { text: 'Done.' },
  ]);
  const upstream = await model.listen();
  t.after(() => model.close());
  const run = await wardenAsync(
    state.path,
    ['run', '-w', ws.path, '--', OPENCODE, 'run', '--model', 'anthropic/claude-sonnet-4-5', 'read my key'],
    { cwd: ws.path, env: { ...opencodeEnv(home.path), WARDEN_ANTHROPIC_UPSTREAM: upstream }, timeoutMs: 120000 },
  );
  assert.equal(run.status, 0, run.stderr);
  const main = model.seen.filter((s) => s.path.startsWith('/v1/messages') && s.body.includes('"tools"'));
  const refusal = /"tool_use_id":"([^"]+)","content":"(Warden: [^"]*)","is_error":true/.exec(main[1]?.body ?? '');
  assert.ok(refusal, `the refusal is the call's error result: ${main[1]?.body.slice(-600)}`);
  assert.match(refusal[2] ?? '', /\(rule files\.denyRead\[\d+\] of policy coding-agent\)$/);
  assert.doesNotMatch(main.map((s) => s.body).join(''), /not a real key/);
  const tl = JSON.parse(warden(state.path, ['timeline', '--last', '--json']).stdout) as Timeline;
  const calls = tl.turns.flatMap((x) => x.toolCalls);
  const refused = calls.find((c) => c.id === refusal[1]);
  assert.equal(refused?.decision?.verdict, 'denied', JSON.stringify(calls.map((c) => [c.id, c.decision])));
  assert.ok(!refused?.events.some((e) => e.type === 'exec' && e.argv[0] === 'cat'), 'the refused command never ran');
  assert.ok(
    calls.find((c) => c.id === model.toolUseIds[1])?.events.some((e) => e.type === 'exec'),
    'an allowed one runs',
  );
  assert.deepEqual(
    tl.alerts.filter((a) => a.detector === 'undeclared-action').map((a) => a.message),
    [],
    'the plugin running the hook is the agent program at work',
  );
  const removed = hooks('uninstall');
  assert.equal(removed.status, 0, removed.stderr);
  assert.ok(!existsSync(plugin), 'uninstall removes it');
});
