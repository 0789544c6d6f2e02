import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { WardenEvent } from '../model/events.js';
import { FdNames, readFd } from './fd-names.js';

const O_PATH_DIR = 0o10000000 | 0o200000 | 0o2000000; /* O_PATH | O_DIRECTORY | O_CLOEXEC */

const ev = (pid: number, type: string, fields: Record<string, unknown>): WardenEvent =>
  ({ pid, tid: pid, type, result: 0, ...fields }) as unknown as WardenEvent;

test('a name through a descriptor is what the descriptor was when the call was made', () => {
  const fds = new FdNames(null);
  fds.see(ev(10, 'open', { path: '/root/proj', flags: O_PATH_DIR, result: 10 }));
  const rename = ev(10, 'rename', {
    path: '/proc/self/fd/10/AGENTS.md.tmp.2',
    newPath: '/proc/self/fd/10/AGENTS.md',
  });
  fds.see(rename);
  assert.equal(rename.type === 'rename' && rename.path, '/root/proj/AGENTS.md.tmp.2');
  assert.equal(rename.type === 'rename' && rename.newPath, '/root/proj/AGENTS.md');
  /* the descriptor reused: the next name through it is the new file's */
  fds.see(ev(10, 'open', { path: '/root/.claude', flags: O_PATH_DIR, result: 10 }));
  const mkdir = ev(10, 'mkdir', { path: '/proc/10/fd/10/projects' });
  fds.see(mkdir);
  assert.equal(mkdir.type === 'mkdir' && mkdir.path, '/root/.claude/projects');
  /* an open through it keeps the name asked for */
  const open = ev(10, 'open', { path: '/proc/self/fd/10/x', flags: 0, result: -2 });
  fds.see(open);
  assert.equal(open.type === 'open' && open.path, '/root/.claude/x');
  assert.equal(open.type === 'open' && open.requestedPath, '/proc/self/fd/10/x');
});

test('a fork inherits the table, an exec drops close-on-exec descriptors, an exit forgets it', () => {
  const fds = new FdNames(null);
  fds.see(ev(20, 'open', { path: '/w', flags: O_PATH_DIR, result: 3 }));
  fds.see(ev(20, 'open', { path: '/w/keep', flags: 0, result: 4 }));
  fds.see(ev(20, 'fork', { childPid: 21 }));
  assert.equal(fds.resolve('/dev/fd/3/a', 21, 21), '/w/a');
  fds.see(ev(21, 'exec', { argv: ['tar'] }));
  assert.equal(fds.resolve('/proc/self/fd/3/a', 21, 21), '/proc/self/fd/3/a');
  assert.equal(fds.resolve('/proc/self/fd/4', 21, 21), '/w/keep');
  fds.see(ev(20, 'exit', { code: 0 }));
  assert.equal(fds.resolve('/proc/self/fd/3/a', 20, 20), '/proc/self/fd/3/a');
  assert.equal(fds.resolve('/proc/self/status', 20, 20), '/proc/self/status');
});

test('a descriptor the table never saw is read from /proc while the process holds it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-fd-'));
  const fd = openSync(dir, 'r');
  try {
    const fds = new FdNames();
    assert.equal(fds.resolve(`/proc/self/fd/${fd}/x.lock`, process.pid, process.pid), `${dir}/x.lock`);
    assert.equal(readFd(`/proc/${process.pid}/fd/${fd}`, 1, 1), dir);
    assert.equal(readFd(`/dev/fd/${fd}/a/b`, process.pid, process.pid), `${dir}/a/b`);
    assert.equal(readFd('/proc/self/fd/999999/x', process.pid, process.pid), '/proc/self/fd/999999/x');
    assert.equal(new FdNames(null).resolve(`/proc/self/fd/${fd}/x`, process.pid, process.pid), `/proc/self/fd/${fd}/x`);
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true });
  }
});
