import assert from 'node:assert/strict';
import { test } from 'node:test';
import { throughProxy } from './agents.js';

test('codex is pointed at the proxy by its own setting; other commands and explicit settings are left alone', () => {
  const r = throughProxy(['/usr/local/bin/codex', 'exec', 'fix it'], 'http://127.0.0.1:4000');
  assert.deepEqual(r.command, [
    '/usr/local/bin/codex',
    '-c',
    'openai_base_url="http://127.0.0.1:4000/openai"',
    'exec',
    'fix it',
  ]);
  assert.match(r.note ?? '', /openai_base_url/);
  const own = ['codex', '-c', 'openai_base_url="https://proxy.example/v1"', 'exec'];
  assert.deepEqual(throughProxy(own, 'http://127.0.0.1:4000').command, own);
  assert.deepEqual(throughProxy(['claude', '-p', 'x'], 'http://127.0.0.1:4000'), { command: ['claude', '-p', 'x'] });
});
