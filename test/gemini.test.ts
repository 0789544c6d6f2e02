/**
 * A third real agent CLI: Gemini CLI (from npm) under `warden run`, driven by
 * a scripted Gemini API endpoint through Warden's proxy (GOOGLE_GEMINI_BASE_URL).
 * Its function calls come without ids, as Gemini's usually do: Warden names
 * them and finds each result again in the next request. Each call is linked
 * to what the kernel saw; a forbidden read is refused by the kernel inside
 * its call; a covert connection is flagged; its own start-up raises nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Alert, ToolCall } from '../src/model/records.js';
import type { WardenEvent } from '../src/model/events.js';
import { ScriptedGemini } from './fixtures/scripted-gemini.js';
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
  unattributed?: WardenEvent[];
  alerts: Alert[];
};
/* WARDEN_TEST_GEMINI: another Gemini CLI (the latest release) to run these tests with */
const GEMINI = process.env.WARDEN_TEST_GEMINI ?? join(ROOT, 'node_modules', '.bin', 'gemini');

/** The user's Gemini CLI settings in `home`: an API key's auth, no update checks, no usage statistics. */
function writeGeminiSettings(home: string): void {
  writeFileSync(
    join(home, '.gemini', 'settings.json'),
    JSON.stringify({
      security: { auth: { selectedType: 'gemini-api-key' }, folderTrust: { enabled: false } },
      general: { disableAutoUpdate: true, disableUpdateNag: true },
      privacy: { usageStatisticsEnabled: false },
      telemetry: { enabled: false },
    }),
  );
}

test('Gemini CLI under warden run: function calls named, linked, refused and flagged', async (t) => {
  if (!needKernel(t)) return;
  const state = stateDir('gemini');
  const ws = tempDir('gemini-ws');
  const home = tempDir('gemini-home');
  const pdir = tempDir('gemini-policy');
  const covertPort = await covertListener(t);
  t.after(() => [state, ws, home, pdir].forEach((d) => d.cleanup()));
  sabotageWorkspace(ws.path, covertPort);
  mkdirSync(join(home.path, '.gemini'));
  /* its own temp directory: with Warden cloned in /tmp, the floor carves Warden out of /tmp
   * entry by entry and /tmp itself takes no new entries (see the README) */
  mkdirSync(join(home.path, 'tmp'));
  writeGeminiSettings(home.path);
  const policy = secretsPolicy(pdir.path, 'gemini-test');
  const notes = join(ws.path, 'notes.txt');
  const model = new ScriptedGemini([
    { calls: [{ name: 'run_shell_command', args: { command: 'echo hello > notes.txt && cat notes.txt' } }] },
    { calls: [{ name: 'run_shell_command', args: { command: 'cat secrets/key.txt' } }] },
    { calls: [{ name: 'run_shell_command', args: { command: './run-tests.sh' } }] },
    { text: 'Reading the notes back.', calls: [{ name: 'read_file', args: { file_path: notes } }] },
  ]);
  const upstream = await model.listen();
  t.after(() => model.close());
  const run = await wardenAsync(
    state.path,
    ['run', '--policy', policy, '-w', ws.path, '--', GEMINI, '-p', 'run the tests', '--yolo', '-m', 'gemini-2.5-flash'],
    {
      cwd: ws.path,
      env: {
        GEMINI_API_KEY: 'test-key-not-real',
        HOME: home.path,
        TMPDIR: join(home.path, 'tmp'),
        WARDEN_GEMINI_UPSTREAM: upstream,
      },
      timeoutMs: 120000,
    },
  );
  assert.equal(run.status, 0, run.stderr);
  assert.equal(model.seen.length, 5, 'every turn reached the model through the proxy');

  const tl = JSON.parse(warden(state.path, ['timeline', '--last', '--json']).stdout) as Timeline;
  const calls = tl.turns.flatMap((x) => x.toolCalls);
  assert.deepEqual(
    calls.map((c) => c.name),
    ['run_shell_command', 'run_shell_command', 'run_shell_command', 'read_file'],
    `the four calls, each once: ${JSON.stringify(calls.map((c) => [c.id, c.name]))}`,
  );
  const [write, secret, covert, read] = calls;
  for (const c of calls) {
    assert.match(c.id, /^gemini-\d+-0-[0-9a-f]{12}$/);
    assert.ok(c.result, `the result of ${c.id} was found in the next request`);
  }
  assert.match(write?.result?.text ?? '', /hello/);
  assert.ok(
    write?.events.some((e) => e.type === 'open' && e.path === notes && e.flagNames.includes('O_WRONLY')),
    'the write of notes.txt is under its call',
  );
  assert.equal(
    secret?.events.find((e) => e.type === 'open' && e.path.endsWith('secrets/key.txt'))?.decision?.verdict,
    'denied',
  );
  assert.ok(covert?.events.some((e) => e.type === 'connect' && e.daddr === '127.0.0.3'));
  assert.ok(tl.alerts.some((a) => a.detector === 'intent-mismatch' && a.toolCallId === covert?.id));
  assert.ok(
    read?.events.some((e) => e.type === 'open' && e.path === notes),
    "Gemini CLI's own read of notes.txt is under the read_file call",
  );
  assert.deepEqual(
    tl.alerts.filter((a) => a.detector === 'undeclared-action').map((a) => a.message),
    [],
  );
});

test("Gemini CLI's own hooks (warden hooks install --agent gemini) ask the session: a refusal reaches the model as Warden's", async (t) => {
  if (!needKernel(t)) return;
  const state = stateDir('gemini-hooks');
  const ws = tempDir('gemini-hooks-ws');
  const home = tempDir('gemini-hooks-home');
  t.after(() => [state, ws, home].forEach((d) => d.cleanup()));
  mkdirSync(join(home.path, '.gemini'));
  mkdirSync(join(home.path, 'tmp'));
  mkdirSync(join(home.path, '.ssh'));
  writeFileSync(join(home.path, '.ssh', 'id_rsa'), 'not a real key\n');
  writeGeminiSettings(home.path);
  const env = { HOME: home.path };
  /* HOME is the test's: the user's settings there */
  const userSettings = spawnSync(join(ROOT, 'bin', 'warden'), ['hooks', 'install', '--agent', 'gemini', '--user'], {
    env: { ...process.env, ...env, WARDEN_STATE_DIR: state.path },
    encoding: 'utf8',
  });
  assert.equal(userSettings.status, 0, userSettings.stderr);
  const settings = JSON.parse(readFileSync(join(home.path, '.gemini', 'settings.json'), 'utf8')) as {
    hooks: Record<string, Array<{ matcher: string; hooks: Array<{ command: string }> }>>;
    security: unknown;
  };
  assert.ok(settings.security, 'its other settings are kept');
  assert.match(settings.hooks.BeforeTool?.[0]?.hooks[0]?.command ?? '', /warden-hook' --agent gemini$/);
  assert.ok(settings.hooks.AfterTool?.length);
  const model = new ScriptedGemini([
    { calls: [{ name: 'run_shell_command', args: { command: 'cat ~/.ssh/id_rsa' } }] },
    { calls: [{ name: 'run_shell_command', args: { command: 'echo fine' } }] },
  ]);
  const upstream = await model.listen();
  t.after(() => model.close());
  const run = await wardenAsync(
    state.path,
    ['run', '-w', ws.path, '--', GEMINI, '-p', 'read my key', '--yolo', '-m', 'gemini-2.5-flash'],
    {
      cwd: ws.path,
      env: {
        ...env,
        GEMINI_API_KEY: 'test-key-not-real',
        TMPDIR: join(home.path, 'tmp'),
        WARDEN_GEMINI_UPSTREAM: upstream,
      },
      timeoutMs: 120000,
    },
  );
  assert.equal(run.status, 0, run.stderr);
  /* the CLI saved its own settings (it migrates deprecated keys at start) under the default policy,
   * which keeps them from every command it runs (scope: tools) */
  assert.doesNotMatch(run.stdout + run.stderr, /Failed to save settings/);
  const saved = readFileSync(join(home.path, '.gemini', 'settings.json'), 'utf8');
  assert.match(saved, /"enableAutoUpdate": false/, `the migration was saved:\n${saved}`);
  assert.match(saved, /warden-hook' --agent gemini/, 'with the hooks kept');
  /* the refusal went back to the model as the call's result: Warden's reason, with its rule */
  const second = JSON.stringify(model.seen[1] ?? {});
  assert.match(second, /Warden: [^"]*\(rule files\.denyRead\[\d+\] of policy coding-agent\)/);
  assert.doesNotMatch(second, /not a real key/);
  const tl = JSON.parse(warden(state.path, ['timeline', '--last', '--json']).stdout) as Timeline;
  const calls = tl.turns.flatMap((x) => x.toolCalls);
  assert.deepEqual(
    calls.map((c) => [c.name, c.decision?.verdict ?? null, c.decision?.by ?? null, [...c.sources].sort().join('+')]),
    [
      ['run_shell_command', 'denied', 'hook', 'hook+llm'],
      ['run_shell_command', 'allowed', 'hook', 'hook+llm'],
    ],
    'each call once: the model asked for it, the hook decided it',
  );
  assert.ok(!calls[0]?.events.some((e) => e.type === 'exec'), 'the refused command never ran');
});
