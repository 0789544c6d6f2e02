import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCommitted, readFileStart } from './safe-read.js';

test('readFileStart reads the start of a regular file, and never blocks on what an agent put there instead', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-read-'));
  try {
    writeFileSync(join(dir, 'file'), 'hello world');
    assert.equal(readFileStart(join(dir, 'file')), 'hello world');
    assert.equal(readFileStart(join(dir, 'file'), 5), 'hello');
    assert.equal(readFileStart(join(dir, 'missing')), undefined);
    assert.equal(readFileStart(dir), undefined, 'a directory is no file');
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    const t0 = Date.now();
    assert.equal(readFileStart(join(dir, 'fifo')), undefined, 'a FIFO with no writer is not waited on');
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(readFileStart('/dev/zero'), undefined, 'a device is not read');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a workspace file's committed version is read without running anything the repository configures", () => {
  const ws = mkdtempSync(join(tmpdir(), 'warden-committed-'));
  try {
    const git = (...a: string[]): void =>
      void execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...a], { cwd: ws, stdio: 'ignore' });
    git('init', '-q');
    writeFileSync(join(ws, 'a.test.js'), 'assert.equal(1, 1);\n');
    git('add', '-A');
    git('commit', '-qm', 'x');
    writeFileSync(join(ws, 'a.test.js'), 'assert.ok(1);\n');
    /* an fsmonitor the agent planted would run on a status; cat-file runs none */
    appendFileSync(join(ws, '.git', 'config'), `[core]\n\tfsmonitor = touch ${join(ws, 'ran')}\n`);
    assert.equal(readCommitted(ws, join(ws, 'a.test.js')), 'assert.equal(1, 1);\n');
    assert.equal(readCommitted(ws, join(ws, 'new.js')), undefined, 'never committed');
    assert.equal(readCommitted(ws, '/etc/passwd'), undefined, 'outside the workspace');
    assert.equal(existsSync(join(ws, 'ran')), false);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
