import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CgroupError, findCgroup2Mount, levelOf, removeCgroup } from './cgroup.js';

test('the cgroup2 mount is found on hybrid and unified hosts', () => {
  const hybrid = 'tmpfs /sys/fs/cgroup tmpfs rw 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n';
  assert.equal(findCgroup2Mount(hybrid), '/sys/fs/cgroup/unified');
  assert.equal(findCgroup2Mount('cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n'), '/sys/fs/cgroup');
  assert.throws(() => findCgroup2Mount('proc /proc proc rw 0 0\n'), CgroupError);
});

test('a session level counts directories below the cgroup2 root', () => {
  assert.equal(levelOf('/sys/fs/cgroup', '/sys/fs/cgroup'), 0);
  assert.equal(levelOf('/sys/fs/cgroup/unified', '/sys/fs/cgroup/unified/warden/abc'), 2);
});

test('removing a cgroup someone else removed first is no error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-cg-'));
  mkdirSync(join(dir, 'child'));
  removeCgroup(dir);
  assert.equal(existsSync(dir), false);
  assert.doesNotThrow(() => removeCgroup(dir), 'already gone: the warden run and session kill both remove it');
});
