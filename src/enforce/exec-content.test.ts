import assert from 'node:assert/strict';
import { copyFileSync, linkSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DeniedPrograms, LOADERS } from './exec-content.js';

test('a denied program is known by its inode and by its bytes, under any name; other files are not', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wd-content-'));
  try {
    const denied = join(dir, 'tool');
    copyFileSync('/usr/bin/touch', denied);
    copyFileSync('/usr/bin/touch', join(dir, 'copy'));
    linkSync(denied, join(dir, 'link'));
    const touch = Buffer.from(readFileSync('/usr/bin/touch'));
    touch.writeUInt8(touch.readUInt8(touch.length - 1) ^ 1, touch.length - 1);
    writeFileSync(join(dir, 'same-size'), touch);
    const programs = new DeniedPrograms([denied]);
    assert.deepEqual(programs.identify(join(dir, 'copy')), { program: denied });
    assert.deepEqual(programs.identify(join(dir, 'link')), { program: denied });
    assert.equal(programs.identify(join(dir, 'same-size')), undefined, 'the same size, one byte apart');
    assert.equal(programs.identify('/usr/bin/env'), undefined);
    assert.equal(programs.identify(join(dir, 'gone')), undefined);
    assert.equal(programs.identify('relative/copy'), undefined);
    const loader = LOADERS.find((l) => programs.identify(l) !== undefined);
    assert.ok(loader, 'the system loader is known as one');
    assert.ok('loader' in (programs.identify(loader) ?? {}));
    assert.equal(new DeniedPrograms([]).identify(join(dir, 'copy')), undefined, 'no program denied: nothing to know');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
