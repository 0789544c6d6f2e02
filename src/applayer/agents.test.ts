import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

test("opencode's providers with a base URL of their own are routed through the proxy, found in its config files", () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-opencode-'));
  try {
    const home = join(dir, 'home');
    const proj = join(dir, 'proj');
    mkdirSync(join(home, '.config', 'opencode'), { recursive: true });
    mkdirSync(join(proj, '.git'), { recursive: true });
    mkdirSync(join(proj, 'sub'));
    writeFileSync(
      join(home, '.config', 'opencode', 'opencode.jsonc'),
      `{ // the user's gateway for Anthropic
        "provider": { "anthropic": { "options": { "baseURL": "https://gw.example/v1", }, }, }, }`,
    );
    writeFileSync(
      join(proj, 'opencode.json'),
      JSON.stringify({
        provider: {
          local: {
            npm: '@ai-sdk/openai-compatible',
            options: { baseURL: 'http://127.0.0.1:11434/v1' },
            models: { q: {} },
          },
          other: { npm: '@ai-sdk/mistral', options: { baseURL: 'https://m.example/v1' } },
        },
      }),
    );
    const r = throughProxy(['/usr/bin/opencode', 'run', 'x'], 'http://127.0.0.1:4000', {
      env: { HOME: home, OPENCODE_CONFIG_CONTENT: '{"theme":"dark"}' },
      cwd: join(proj, 'sub'),
    });
    assert.deepEqual(r.command, ['/usr/bin/opencode', 'run', 'x']);
    assert.deepEqual(r.routes, [
      { prefix: '/opencode/anthropic', provider: 'anthropic', upstream: 'https://gw.example/v1' },
      { prefix: '/opencode/local', provider: 'openai', upstream: 'http://127.0.0.1:11434/v1' },
    ]);
    const inline = JSON.parse(r.env?.OPENCODE_CONFIG_CONTENT ?? '{}') as Record<string, unknown>;
    assert.deepEqual(inline, {
      theme: 'dark',
      provider: {
        anthropic: { options: { baseURL: 'http://127.0.0.1:4000/opencode/anthropic' } },
        local: { options: { baseURL: 'http://127.0.0.1:4000/opencode/local' } },
      },
    });
    assert.match(r.note ?? '', /other \(https:\/\/m\.example\/v1\) speaks an API Warden's proxy does not read/);
    /* one the policy refuses the session is not reached through the proxy either: said, and left out */
    const refusing = throughProxy(['opencode'], 'http://127.0.0.1:4000', {
      env: { HOME: home },
      cwd: join(proj, 'sub'),
      refused: (url) => (url.includes('127.0.0.1') ? 'network.allow: not an allowed destination' : undefined),
    });
    assert.deepEqual(
      refusing.routes?.map((x) => x.prefix),
      ['/opencode/anthropic'],
    );
    assert.match(refusing.note ?? '', /local \(http:\/\/127\.0\.0\.1:11434\/v1\) is refused by the policy/);
    assert.doesNotMatch(refusing.env?.OPENCODE_CONFIG_CONTENT ?? '', /opencode\/local/);
    /* no base URL of its own: the environment's (ANTHROPIC_BASE_URL) is already the proxy */
    assert.deepEqual(throughProxy(['opencode'], 'http://127.0.0.1:4000', { env: { HOME: dir }, cwd: dir }), {
      command: ['opencode'],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("codex's own providers with a base URL (config.toml) are routed through the proxy, unless the policy refuses them", () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-codex-'));
  try {
    writeFileSync(
      join(dir, 'config.toml'),
      [
        'model_provider = "local"',
        '[model_providers.local]',
        'name = "a local server"',
        'base_url = "http://127.0.0.1:11434/v1"',
        'wire_api = "responses"',
        '[model_providers.gw]',
        'base_url = "https://gw.example/v1"',
        '[model_providers."odd.name"]',
        'base_url = "https://odd.example/v1"',
        '[model_providers.nourl]',
        'name = "x"',
      ].join('\n'),
    );
    const ctx = {
      env: { CODEX_HOME: dir },
      cwd: dir,
      refused: (url: string) => (url.includes('gw.example') ? 'network.allow names no gw.example' : undefined),
    };
    const r = throughProxy(['codex', 'exec', 'x'], 'http://127.0.0.1:4000', ctx);
    assert.deepEqual(r.command, [
      'codex',
      '-c',
      'openai_base_url="http://127.0.0.1:4000/openai"',
      '-c',
      'model_providers.local.base_url="http://127.0.0.1:4000/codex/local"',
      'exec',
      'x',
    ]);
    assert.deepEqual(r.routes, [{ prefix: '/codex/local', provider: 'openai', upstream: 'http://127.0.0.1:11434/v1' }]);
    assert.match(r.note ?? '', /gw \(https:\/\/gw\.example\/v1\) is refused by the policy/);
    assert.match(r.note ?? '', /odd\.name .* a name -c cannot address/);
    const mine = throughProxy(['codex', '-c', 'model_providers.local.base_url="http://x/v1"', 'exec'], 'http://p', ctx);
    assert.equal(mine.routes, undefined, "the user's own -c for it wins");
    writeFileSync(join(dir, 'config.toml'), 'model_providers = [broken');
    assert.match(throughProxy(['codex'], 'http://p', ctx).note ?? '', /not readable as TOML/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
