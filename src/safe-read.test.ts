import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readFileStart } from './safe-read.js';

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
