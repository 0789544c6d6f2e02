import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AgentRuntimeProfile } from './agent-runtime.js';

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
  for (const line of [
    'git config user.name mallory',
    'git commit -m x',
    'git config core.hooksPath /tmp/h',
    'git push',
  ]) {
    assert.ok(!p.isRuntimeExec(line.split(' ')), line);
  }
});
