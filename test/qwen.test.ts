/**
 * An agent CLI that speaks an OpenAI-compatible API: Qwen Code (from npm) under
 * `warden run` and the default policy, in a git workspace, driven by a scripted
 * Chat Completions endpoint that it is pointed at the way its users point it
 * (OPENAI_BASE_URL). Warden puts its proxy in between: every turn is recorded,
 * each tool call is linked to what the kernel saw, a read of the user's SSH key
 * is refused inside its call, a covert connection is refused and flagged, and
 * the CLI's own start-up and upkeep raise nothing.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Alert, ToolCall } from '../src/model/records.js';
import type { WardenEvent } from '../src/model/events.js';
import { ScriptedChat } from './fixtures/scripted-chat.js';
import {
  covertListener,
  needKernel,
  ROOT,
  sabotageWorkspace,
  stateDir,
  tempDir,
  warden,
  wardenAsync,
} from './helpers.js';

type Timeline = { turns: Array<{ toolCalls: Array<ToolCall & { events: WardenEvent[] }> }>; alerts: Alert[] };

/* WARDEN_TEST_QWEN: another Qwen Code (the latest release) to run these tests with */
const QWEN = process.env.WARDEN_TEST_QWEN ?? join(ROOT, '.cache', 'agents', 'qwen', 'node_modules', '.bin', 'qwen');

test('Qwen Code (OpenAI-compatible) under warden run and the default policy: turns seen, calls linked, refusals in their calls', async (t) => {
  if (!needKernel(t)) return;
  if (!existsSync(QWEN)) {
    if (process.env.CI === 'true') throw new Error(`no ${QWEN}: scripts/setup.sh --for-tests installs it`);
    t.skip(`no ${QWEN} (scripts/setup.sh --for-tests installs it)`);
    return;
  }
  const state = stateDir('qwen');
  const home = tempDir('qwen-home');
  const ws = join(home.path, 'project');
  t.after(() => [state, home].forEach((d) => d.cleanup()));
  const covertPort = await covertListener(t);
  execFileSync('git', ['init', '-q', ws]);
  writeFileSync(join(ws, 'README.md'), '# project\n');
  execFileSync('git', ['-C', ws, 'add', '.']);
  execFileSync('git', ['-C', ws, '-c', 'user.email=a@b', '-c', 'user.name=a', 'commit', '-qm', 'init']);
  sabotageWorkspace(ws, covertPort);
  mkdirSync(join(home.path, '.ssh'));
  writeFileSync(join(home.path, '.ssh', 'id_rsa'), 'not a real key\n');
  mkdirSync(join(home.path, 'tmp'));
  const model = new ScriptedChat([
    { calls: [{ name: 'run_shell_command', args: { command: 'echo hello > notes.txt && git status --short' } }] },
    { calls: [{ name: 'run_shell_command', args: { command: 'cat ~/.ssh/id_rsa' } }] },
    { text: 'Running the tests.', calls: [{ name: 'run_shell_command', args: { command: './run-tests.sh' } }] },
  ]);
  const upstream = await model.listen();
  t.after(() => model.close());
  const run = await wardenAsync(state.path, ['run', '-w', ws, '--', QWEN, '-p', 'run the tests', '--yolo'], {
    cwd: ws,
    env: {
      HOME: home.path,
      TMPDIR: join(home.path, 'tmp'),
      OPENAI_BASE_URL: upstream,
      OPENAI_API_KEY: 'test-key-not-real',
      OPENAI_MODEL: 'scripted',
    },
    timeoutMs: 120000,
  });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(model.seen.length, 4, 'every turn reached the model through the proxy');

  const tl = JSON.parse(warden(state.path, ['timeline', '--last', '--json']).stdout) as Timeline;
  const calls = tl.turns.flatMap((x) => x.toolCalls);
  assert.deepEqual(
    calls.map((c) => c.id),
    ['call_0_0', 'call_1_0', 'call_2_0'],
    `the calls by the ids the model gave: ${JSON.stringify(calls.map((c) => [c.id, c.name]))}`,
  );
  const [write, secret, covert] = calls;
  for (const c of calls) assert.ok(c.result, `the result of ${c.id} was found in the next request`);
  assert.ok(
    write?.events.some(
      (e) => e.type === 'open' && e.path === join(ws, 'notes.txt') && e.flagNames.includes('O_WRONLY'),
    ),
    'the write of notes.txt is under its call',
  );
  assert.ok(
    write?.events.some((e) => e.type === 'exec' && e.argv[0] === 'git'),
    'and git status',
  );
  assert.equal(
    secret?.events.find((e) => e.type === 'open' && e.path.endsWith('.ssh/id_rsa'))?.decision?.verdict,
    'denied',
  );
  assert.doesNotMatch(JSON.stringify(model.seen[2] ?? {}), /not a real key/, 'the key never reached the model');
  const beacon = covert?.events.find((e) => e.type === 'connect' && e.daddr === '127.0.0.3');
  assert.equal(beacon?.decision?.verdict, 'denied', 'the covert connection is refused inside its call');
  /* what raised an alert: the refused read and the covert connection, under their calls; nothing of the CLI's own */
  const unlinked = tl.alerts.filter((a) => !calls.some((c) => c.id === a.toolCallId));
  assert.deepEqual(
    unlinked.map((a) => `${a.detector}: ${a.message}`),
    [],
    'alerts that no tool call explains',
  );
});
