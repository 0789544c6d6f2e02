import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WardenEvent } from '../model/events.js';
import { Judge } from './judge.js';
import { compilePolicy } from '../policy/compile.js';
import { parsePolicy } from '../policy/load.js';
import type { Identity } from './exec-content.js';

/** A policy named p for workspace /w, from the YAML after its header. */
const policyOf = (body: string) =>
  compilePolicy(parsePolicy(`apiVersion: warden.dev/v1\nkind: Policy\nmetadata: {name: p}\n${body}`, 'p.yaml'), {
    workspace: '/w',
  });

const judge = new Judge(null, new Set(), { paths: ['/proc', '/opt/warden'], pids: () => [] });
const chmod = (path: string, result = 0): WardenEvent => ({ type: 'chmod', path, mode: 0o755, result }) as never;

test("a file descriptor's own name is the file it is, not a write to /proc", () => {
  for (const p of [
    '/proc/self/fd/3',
    '/proc/thread-self/fd/7',
    '/proc/1234/fd/0',
    '/proc/9/task/9/fd/4',
    '/dev/fd/5',
    '/proc/self/fd/15/b9il60v9r.output' /* beneath a directory's descriptor: Bun's unlink */,
  ])
    assert.equal(judge.judge(chmod(p)), undefined, p);
});

test('a write to /proc itself, or to Warden, is still tampering', () => {
  assert.equal(judge.judge(chmod('/proc/sys/kernel/x'))?.verdict, 'would-deny');
  assert.equal(judge.judge(chmod('/proc/self/fd'))?.verdict, 'would-deny', 'the directory, not a descriptor');
  assert.equal(judge.judge(chmod('/proc/self/fdinfo/3'))?.verdict, 'would-deny');
  const refused = judge.judge(chmod('/opt/warden/bin/warden', -30));
  assert.deepEqual([refused?.verdict, refused?.mechanism], ['denied', 'mount-ns']);
});

test('a run refused for its bytes names the denied program it copies, or the loader run as a program', () => {
  const policy = policyOf('exec:\n  deny: [/usr/bin/curl]\n');
  const identify = (path: string): Identity | undefined =>
    path === '/w/c'
      ? { program: '/usr/bin/curl' }
      : path === '/lib64/ld-linux-x86-64.so.2'
        ? { loader: path }
        : undefined;
  const j = new Judge(
    policy,
    new Set(['fanotify']),
    { paths: [], pids: () => [] },
    undefined,
    undefined,
    undefined,
    identify,
  );
  const failed = (path: string, result: number): WardenEvent => ({ type: 'exec-failed', path, result }) as never;
  const copy = j.judge(failed('/w/c', -1));
  assert.deepEqual([copy?.verdict, copy?.rule, copy?.mechanism], ['denied', 'exec.deny[0]', 'fanotify']);
  assert.match(copy?.reason ?? '', /has the bytes of \/usr\/bin\/curl/);
  const loader = j.judge(failed('/lib64/ld-linux-x86-64.so.2', -1));
  assert.deepEqual([loader?.verdict, loader?.rule], ['denied', 'exec.deny']);
  assert.equal(j.judge(failed('/w/c', -2)), undefined, 'not there: it failed by itself');
  assert.equal(j.judge(failed('/w/other', -1)), undefined, 'refused for no reason Warden knows: no decision');
});

test('a delete the read-only stand-in over a protected file refused names the read rule, not the writable place', () => {
  const policy = policyOf('files:\n  denyRead: [/h/*/.env]\n  allowWrite: [/h]\n');
  const j = new Judge(
    policy,
    new Set(['mount-ns', 'landlock']),
    { paths: [], pids: () => [] },
    undefined,
    undefined,
    (p) => p === '/h/other/.env',
  );
  const unlink = (path: string, result: number): WardenEvent => ({ type: 'unlink', path, dir: false, result }) as never;
  const busy = j.judge(unlink('/h/other/.env', -16));
  assert.deepEqual([busy?.verdict, busy?.rule, busy?.mechanism], ['denied', 'files.denyRead[0]', 'mount-ns']);
  assert.equal(j.judge(unlink('/h/other/main.py', 0))?.verdict, 'allowed');
  assert.equal(j.judge(unlink('/h/other/.env', 0))?.verdict, 'allowed', 'not refused: not the stand-in');
});

test('an O_PATH open of a secret reads nothing, so nothing is denied or would be', () => {
  const policy = policyOf('files:\n  denyRead: [/h/.ssh]\n');
  const j = new Judge(policy, new Set(['fanotify']), { paths: [], pids: () => [] });
  const open = (flags: number): WardenEvent => ({ type: 'open', path: '/h/.ssh', flags, result: 10 }) as never;
  assert.equal(j.judge(open(0o10000000 | 0o2000000)), undefined, 'O_PATH | O_CLOEXEC: a name looked up');
  assert.equal(j.judge(open(0))?.rule, 'files.denyRead[0]', 'a real read');
});

test("a git config rewrite the supervisor let through is allowed by it; refused, it is the rule's", () => {
  const policy = policyOf(
    'files:\n  denyWrite:\n    - {path: /w/.git/config, allowChanges: git-config}\n    - /w/.git/hooks\n',
  );
  const j = new Judge(policy, new Set(['supervisor', 'mount-ns']), { paths: [], pids: () => [] });
  const rename = (newPath: string, result: number): WardenEvent =>
    ({ type: 'rename', path: `${newPath}.lock`, newPath, result }) as never;
  const through = j.judge(rename('/w/.git/config', 0));
  assert.deepEqual(
    [through?.verdict, through?.rule, through?.mechanism],
    ['allowed', 'files.denyWrite[0]', 'supervisor'],
  );
  assert.match(through?.reason ?? '', /judged by its content/);
  const refused = j.judge(rename('/w/.git/config', -13));
  assert.deepEqual([refused?.verdict, refused?.mechanism], ['denied', 'supervisor']);
  assert.equal(j.judge(rename('/w/.git/hooks/pre-commit', 0))?.verdict, 'would-deny', 'a rule without allowChanges');
  const unsupervised = new Judge(policy, new Set(['mount-ns']), { paths: [], pids: () => [] });
  assert.equal(unsupervised.judge(rename('/w/.git/config', 0))?.verdict, 'would-deny', 'no supervisor judged it');
});

test("a save of a scope: tools file that went through is the agent program's own; a refused one is the rule's", () => {
  const policy = policyOf(
    'files:\n  denyWrite:\n    - {path: /h/.gemini/settings.json, scope: tools}\n    - /h/.gemini/GEMINI.md\n',
  );
  const j = new Judge(policy, new Set(['supervisor', 'mount-ns']), { paths: [], pids: () => [] });
  const open = (path: string, result: number): WardenEvent =>
    ({ type: 'open', path, flags: 0o1101 /* O_WRONLY|O_CREAT|O_TRUNC */, result }) as never;
  const rename = (newPath: string, result: number): WardenEvent =>
    ({ type: 'rename', path: `${newPath}.tmp`, newPath, result }) as never;
  for (const e of [open('/h/.gemini/settings.json', 5), rename('/h/.gemini/settings.json', 0)]) {
    const d = j.judge(e);
    assert.deepEqual([d?.verdict, d?.rule, d?.mechanism], ['allowed', 'files.denyWrite[0]', 'supervisor'], e.type);
    assert.match(d?.reason ?? '', /agent program's own file/);
  }
  assert.equal(j.judge(open('/h/.gemini/settings.json', -13))?.verdict, 'denied', "a tool's attempt");
  assert.equal(j.judge(open('/h/.gemini/GEMINI.md', 5))?.verdict, 'would-deny', 'a rule for every process');
  const unsupervised = new Judge(policy, new Set(['mount-ns']), { paths: [], pids: () => [] });
  assert.equal(unsupervised.judge(open('/h/.gemini/settings.json', 5))?.verdict, 'would-deny', 'no supervisor');
});
