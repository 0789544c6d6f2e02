import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { compilePolicy } from '../policy/compile.js';
import { parsePolicy } from '../policy/load.js';
import { buildFloor, gatedSelfProtection, writableExcept } from './floor.js';

test('"writable except" expands into rules that stop short of every protected path', () => {
  const root = mkdtempSync(join(tmpdir(), 'warden-floor-'));
  try {
    for (const d of ['a/keep', 'a/guard/inner', 'b']) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, 'a/file'), '');
    const rules = writableExcept(root, [join(root, 'a/guard')])
      .map((p) => p.slice(root.length))
      .sort();
    assert.deepEqual(rules, ['/a/file', '/a/keep', '/b']);
    assert.deepEqual(writableExcept(root, [root]), [], 'a protected base yields nothing');
    assert.deepEqual(writableExcept(root, ['/elsewhere']), [root]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the floor always protects Warden and limits writes to allowWrite in enforce mode', () => {
  const text = (mode: string) =>
    `apiVersion: warden.dev/v1\nkind: Policy\nmetadata: {name: t}\nmode: ${mode}\nfiles:\n  allowWrite: [/tmp]\nexec:\n  allow: [/usr/bin]\n`;
  const enforce = buildFloor({
    policy: compilePolicy(parsePolicy(text('enforce'), 'f.yaml'), { workspace: '/w' }),
    protect: ['/proc', '/sys'],
  }).split('\n');
  for (const l of [
    'caps',
    'seccomp',
    'scope signal',
    'scope abstract',
    'handle write',
    'write /tmp',
    'write /dev/null',
    'handle exec',
    'exec /usr/bin',
  ]) {
    assert.ok(enforce.includes(l), l);
  }
  assert.ok(!enforce.some((l) => l === 'write /' || l.startsWith('write /proc') || l.startsWith('write /sys')));

  const audit = buildFloor({
    policy: compilePolicy(parsePolicy(text('audit'), 'f.yaml'), { workspace: '/w' }),
    protect: ['/proc', '/sys'],
  }).split('\n');
  assert.ok(
    audit.includes('write /tmp') && audit.includes('write /etc'),
    'audit mode limits only what protects Warden',
  );
  assert.ok(!audit.includes('handle exec'));
  assert.ok(!audit.some((l) => l.startsWith('write /proc') || l.startsWith('write /sys')));
});

test('Warden inside a narrower writable place is guarded by the gate, not carved out of it', () => {
  const policy = compilePolicy(
    parsePolicy(
      'apiVersion: warden.dev/v1\nkind: Policy\nmetadata: {name: t}\nfiles:\n  allowWrite: [/tmp]\n',
      'f.yaml',
    ),
    { workspace: '/w' },
  );
  const input = { policy, protect: ['/tmp/warden-clone', '/proc'] };
  const lines = buildFloor(input).split('\n');
  assert.ok(lines.includes('write /tmp'), 'new entries in /tmp stay creatable');
  assert.deepEqual(gatedSelfProtection(input), ['/tmp/warden-clone']);
  assert.deepEqual(
    gatedSelfProtection({ policy: null, protect: ['/tmp/warden-clone'] }),
    [],
    'under / the floor carves',
  );
});

test('a git config whose changes are judged by content is guarded, and named to the supervisor', () => {
  const text =
    'apiVersion: warden.dev/v1\nkind: Policy\nmetadata: {name: t}\nfiles:\n  denyWrite:\n' +
    '    - {path: /w/.git/config, allowChanges: git-config}\n    - /w/.git/hooks\n' +
    '  denyRead:\n    - {path: /w/.git/config2, allowChanges: git-config}\n';
  const lines = buildFloor({
    policy: compilePolicy(parsePolicy(text, 'f.yaml'), { workspace: '/w' }),
    protect: [],
  }).split('\n');
  assert.ok(lines.includes('guard /w/.git/config'), 'still guarded: the supervisor judges it');
  assert.deepEqual(
    lines.filter((l) => l.startsWith('git-config ')),
    ['git-config /w/.git/config'],
    'a read rule changes nothing, and a rule without allowChanges is not judged',
  );
});

test("a file only the agent's tools may not change is guarded, bound read-only, and named to the supervisor", () => {
  const text =
    'apiVersion: warden.dev/v1\nkind: Policy\nmetadata: {name: t}\nfiles:\n  denyWrite:\n' +
    '    - {path: /w/.gemini/settings.json, scope: tools}\n    - /w/.gemini/GEMINI.md\n' +
    '  denyRead:\n    - {path: /w/secret.json, scope: tools}\n';
  const policy = compilePolicy(parsePolicy(text, 'f.yaml'), { workspace: '/w' });
  const lines = buildFloor({ policy, protect: [] }).split('\n');
  assert.ok(lines.includes('guard /w/.gemini/settings.json'), 'guarded from every process');
  assert.deepEqual(
    lines.filter((l) => l.startsWith('agent-file ')),
    ['agent-file /w/.gemini/settings.json'],
    'a read rule is never scoped to tools: it holds for the agent program too',
  );
  assert.equal(policy.files.denyRead[0]?.scope, undefined);
});

test('a scope: tools file outside allowWrite stays closed to the agent program too', () => {
  const text =
    'apiVersion: warden.dev/v1\nkind: Policy\nmetadata: {name: t}\nfiles:\n  allowWrite: [/w]\n  denyWrite:\n' +
    '    - {path: /w/.gemini/settings.json, scope: tools}\n    - {path: /h/.gemini/settings.json, scope: tools}\n';
  const lines = buildFloor({
    policy: compilePolicy(parsePolicy(text, 'f.yaml'), { workspace: '/w' }),
    protect: [],
  }).split('\n');
  assert.deepEqual(
    lines.filter((l) => l.startsWith('agent-file ')),
    ['agent-file /w/.gemini/settings.json'],
  );
});
