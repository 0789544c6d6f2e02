import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../config.js';
import { compilePolicy } from '../policy/compile.js';
import { loadPolicy } from '../policy/load.js';
import { policyRefusal } from './launch.js';

test("an agent's configured provider is reached through the proxy only where its policy lets the session go", () => {
  const p = compilePolicy(loadPolicy(join(loadConfig().root, 'policies', 'coding-agent.yaml')), {
    workspace: '/w',
    home: '/home/dev',
  });
  assert.equal(policyRefusal(p, 'https://api.anthropic.com/v1'), undefined);
  assert.equal(policyRefusal(p, 'https://gw.anthropic.com:8443/v1'), undefined, 'a name it allows, on any port');
  /* a local model server: loopback is the session's own listeners only, unless the policy names the port */
  assert.match(policyRefusal(p, 'http://127.0.0.1:11434/v1') ?? '', /network\.allow/);
  assert.match(policyRefusal(p, 'http://localhost:11434/v1') ?? '', /network\.allow/);
  assert.match(policyRefusal(p, 'https://collector.example/v1') ?? '', /not an allowed destination/);
  assert.equal(policyRefusal(null, 'https://collector.example/v1'), undefined, 'monitor only: nothing refused');
});
