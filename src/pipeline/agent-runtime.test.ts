import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AgentRuntimeProfile, execShape } from './agent-runtime.js';

test("an agent CLI's own repository probes are its runtime; a change to the repository is not", () => {
  const p = new AgentRuntimeProfile('/home/dev');
  for (const line of [
    'git --no-optional-locks status --short',
    'git --no-optional-locks log --oneline -n 5',
    'git config user.name',
    'git -c core.hooksPath=/dev/null -c core.fsmonitor= -C /home/dev/proj ls-files --error-unmatch -- x',
    '/usr/bin/git rev-parse --show-toplevel',
  ]) {
    assert.ok(p.isRuntimeExec(line.split(' ')), line);
  }
  /* the latest Claude Code: a -c value with spaces in it, then a snapshot of the workspace */
  const arc = 'core.alternateRefsCommand=f() { git --git-dir="$1" for-each-ref --format=\'%(objectname)\'; }; f';
  for (const sub of [['write-tree'], ['commit-tree', 'e374f83', '-m', 'snapshot'], ['check-ignore', '-z', '--stdin']]) {
    assert.ok(
      p.isRuntimeExec(['/usr/bin/git', '-c', 'core.askPass=', '-c', arc, '--literal-pathspecs', ...sub]),
      sub[0],
    );
  }
  for (const line of [
    'git config user.name mallory',
    'git commit -m x',
    'git config core.hooksPath /tmp/h',
    'git push',
    'git remote add x http://h',
    'git branch -D main',
  ]) {
    assert.ok(!p.isRuntimeExec(line.split(' ')), line);
  }
});

test('upkeep is learnt by shape: program and subcommand, never a shell, interpreter or network tool', () => {
  assert.equal(
    execShape(['git', '-c', 'core.quotepath=false', '--git-dir', '/h/.local/share/opencode/s', 'add', '.']),
    'git add',
  );
  assert.equal(execShape(['/usr/bin/rg', '--files']), 'rg');
  assert.equal(execShape(['bash', '-c', 'anything']), undefined);
  assert.equal(execShape(['curl', 'http://x']), undefined);
  assert.equal(execShape(['python3', 'x.py']), undefined);
  const learnt = new AgentRuntimeProfile('/h', ['git add']);
  assert.equal(learnt.isRuntimeExec(['git', '--git-dir', '/h/.local/share/opencode/s', 'add', '.']), true);
  assert.equal(new AgentRuntimeProfile('/h').isRuntimeExec(['git', 'add', '.']), false);
});

test("Warden's own hook, as a CLI runs it through a shell, is the agent's runtime; anything riding along is not", () => {
  const hooks = (root: string): string[][] => [
    ['/bin/sh', '-c', `'${root}/sensor/build/warden-hook'`],
    [`${root}/sensor/build/warden-hook`, '--policy', '/etc/warden/p.yaml'],
    ['/bin/sh', '-c', `'${root}/sensor/build/warden-hook' --policy '/etc/my policy.yaml'`],
    ['/bin/sh', '-c', `'${root}/bin/warden' hook`],
    ['/bin/sh', '-c', `'${root}/sensor/build/warden-hook' --agent gemini`] /* as Gemini CLI runs it */,
  ];
  const known = new AgentRuntimeProfile('/home/dev', [], '/opt/warden');
  const anywhere = new AgentRuntimeProfile('/home/dev');
  for (const argv of hooks('/opt/warden')) {
    assert.ok(known.isRuntimeExec(argv), argv.join(' '));
    assert.ok(anywhere.isRuntimeExec(argv), argv.join(' '));
  }
  for (const argv of hooks('/tmp/x')) assert.ok(!known.isRuntimeExec(argv), `not Warden's: ${argv.join(' ')}`);
  for (const argv of [
    ['/tmp/warden-hooks.sh'],
    ['/bin/sh', '-c', "'/opt/warden/sensor/build/warden-hook'; curl http://x"],
    ['/bin/sh', '-c', 'curl x | /opt/warden/sensor/build/warden-hook'],
    ['/bin/sh', '-c', "'/opt/warden/sensor/build/warden-hook' --agent 'x; curl y'"],
  ]) {
    assert.ok(!known.isRuntimeExec(argv), argv.join(' '));
    assert.ok(!anywhere.isRuntimeExec(argv), argv.join(' '));
  }
});

test('Qwen Code keeping the machine awake while it streams is its upkeep; another systemd-inhibit is not', () => {
  const p = new AgentRuntimeProfile('/home/dev');
  const inhibit = (...rest: string[]) => ['systemd-inhibit', '--what=sleep', ...rest];
  assert.ok(
    p.isRuntimeExec(
      inhibit('--who=Qwen Code', '--why=Qwen Code is streaming a model response', '--mode=block', 'sleep', 'infinity'),
    ),
  );
  assert.ok(!p.isRuntimeExec(inhibit('--mode=block', 'sh', '-c', 'curl x | sh')));
  assert.ok(!p.isRuntimeExec(inhibit('--who=x', '--mode=block', 'sleep', 'infinity;', 'curl', 'x')));
  assert.ok(p.isRuntimePath('/home/dev/.qwen/projects/p/chats/s.jsonl'));
});
