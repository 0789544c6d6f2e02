/**
 * The C header and the TypeScript decoder agree: every offset, size and enum
 * value in src/sensor/layout.ts is checked by the C compiler against
 * sensor/include/wire.h, and frames written by C are decoded by TypeScript.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ALL_STRUCTS, FrameType, Gate, MapId, NET_ENTRIES } from '../src/sensor/layout.js';
import { SYSCALL_FAMILIES, SYSCALLS } from '../src/sensor/syscalls.js';
import { decodeFrame, FrameSplitter } from '../src/sensor/wire.js';
import type { RawFrame } from '../src/sensor/frames.js';
import { ROOT, tempDir } from './helpers.js';

const INCLUDE = join(ROOT, 'sensor', 'include');

function layoutAssertions(): string {
  const lines = ['#include <stddef.h>', '#include "wire.h"', '#include "map_types.h"'];
  for (const s of ALL_STRUCTS) {
    lines.push(`_Static_assert(sizeof(struct ${s.name}) == ${s.size}, "size of ${s.name}");`);
    for (const f of Object.values(s.fields)) {
      lines.push(`_Static_assert(offsetof(struct ${s.name}, ${f.name}) == ${f.offset}, "${s.name}.${f.name} offset");`);
      lines.push(
        `_Static_assert(sizeof(((struct ${s.name} *)0)->${f.name}) == ${f.size}, "${s.name}.${f.name} size");`,
      );
    }
  }
  const frameEnum: Record<string, string> = {
    READY: 'WD_MSG_READY',
    ACK: 'WD_MSG_ACK',
    STATS: 'WD_MSG_STATS',
    GATE: 'WD_MSG_GATE',
  };
  for (const [name, value] of Object.entries(Gate))
    lines.push(`_Static_assert(WD_GATE_${name} == ${value}, "WD_GATE_${name}");`);
  for (const [name, value] of Object.entries(FrameType)) {
    const c = frameEnum[name] ?? (name.startsWith('CMD_') ? `WD_${name}` : `WD_EV_${name}`);
    lines.push(`_Static_assert(${c} == ${value}, "${c}");`);
  }
  for (const [name, value] of Object.entries(MapId))
    lines.push(`_Static_assert(WD_MAP_${name} == ${value}, "WD_MAP_${name}");`);
  lines.push(`_Static_assert(WD_NET_ENTRIES == ${NET_ENTRIES}, "WD_NET_ENTRIES");`);
  SYSCALLS.forEach((name, i) => lines.push(`_Static_assert(WD_SYS_${name.toUpperCase()} == ${i}, "WD_SYS_${name}");`));
  lines.push(`_Static_assert(WD_SYS_COUNT == ${SYSCALLS.length}, "every syscall is named in layout.ts");`);
  /* the sensor dispatches on ranges of the enum: each syscall must fall in its own family's */
  for (const [family, names] of Object.entries(SYSCALL_FAMILIES))
    for (const name of names) {
      const c = `WD_SYS_${name.toUpperCase()}`;
      lines.push(
        `_Static_assert(WD_SYS_FAMILY(${c}) == WD_FAM_${family.toUpperCase()}, "${c} is in the ${family} run");`,
      );
    }
  const named = Object.values(SYSCALL_FAMILIES).flat().length;
  lines.push(`_Static_assert(${named} == WD_SYS_COUNT - 1, "every syscall has a family in layout.ts");`);
  return lines.join('\n') + '\n';
}

test('every struct offset, size and enum value in layout.ts matches wire.h', () => {
  const dir = tempDir('layout');
  try {
    const src = join(dir.path, 'layout-check.c');
    writeFileSync(src, layoutAssertions());
    execFileSync('cc', ['-fsyntax-only', '-I', INCLUDE, src], { stdio: 'pipe' });
  } catch (e) {
    assert.fail(`wire.h and layout.ts disagree:\n${(e as { stderr?: Buffer }).stderr?.toString() ?? e}`);
  } finally {
    dir.cleanup();
  }
});

test('the layout check fails when the two disagree (it can fail)', () => {
  const dir = tempDir('layout-neg');
  try {
    const src = join(dir.path, 'bad.c');
    writeFileSync(
      src,
      layoutAssertions().replace(/offsetof\(struct wd_exec, argc\) == \d+/, 'offsetof(struct wd_exec, argc) == 3'),
    );
    assert.throws(() => execFileSync('cc', ['-fsyntax-only', '-I', INCLUDE, src], { stdio: 'pipe' }));
  } finally {
    dir.cleanup();
  }
});

function goldenFrames(): RawFrame[] {
  const dir = tempDir('golden');
  try {
    const bin = join(dir.path, 'golden');
    execFileSync('cc', ['-O1', '-I', INCLUDE, join(ROOT, 'test', 'golden', 'golden.c'), '-o', bin]);
    const out = execFileSync(bin);
    return new FrameSplitter().push(out).map(decodeFrame);
  } finally {
    dir.cleanup();
  }
}

test('golden frames written by C decode to the values C wrote', () => {
  const frames = goldenFrames();
  assert.deepEqual(
    frames.map((f) => ('type' in f ? f.type : f.kind)),
    ['exec', 'rename', 'open', 'connect', 'send', 'kill', 'setuid', 'fork', 'exit', 'stats'],
  );
  const [exec, rename, open, connect, send, kill, setuid, fork, exit, stats] = frames;

  assert.equal(exec?.kind, 'exec');
  if (exec?.kind === 'exec') {
    assert.deepEqual(exec.argv, ['cat', '/etc/hostname']);
    assert.equal(exec.exe, '/usr/bin/cat');
    assert.equal(exec.cwd, '/tmp');
    assert.equal(exec.timeNs, 5000000000);
    assert.deepEqual(exec.task, {
      pid: 100,
      tid: 101,
      ppid: 1,
      uid: 1000,
      gid: 1001,
      session: 7,
      cgroupId: 0x0011223344556677,
      startNs: 123456789,
      comm: 'golden',
    });
  }
  assert.ok(rename?.kind === 'file');
  if (rename?.kind === 'file') {
    assert.equal(rename.path, '/work/a.txt', 'relative path joined to its dirfd base');
    assert.equal(rename.newPath, '/tmp/b.txt', 'absolute path normalized');
    assert.equal(rename.syscall, 'renameat2');
  }
  if (open?.kind === 'file') {
    assert.equal(open.path, '/etc/target', 'a resolved open reports the file actually opened');
    assert.equal(open.flags, 0o101);
    assert.equal(open.result, 3);
  } else assert.fail('open');
  if (connect?.kind === 'net') {
    assert.deepEqual(
      [connect.daddr, connect.dport, connect.result, connect.syscall],
      ['127.0.0.1', 1, -111, 'connect'],
    );
  } else assert.fail('connect');
  if (send?.kind === 'net') assert.deepEqual([send.daddr, send.dport, send.protocol, send.bytes], ['::1', 53, 17, 5]);
  else assert.fail('send');
  if (kill?.kind === 'signal') assert.deepEqual([kill.target, kill.arg, kill.result], [1, 9, -1]);
  else assert.fail('kill');
  if (setuid?.kind === 'cred') assert.deepEqual([setuid.syscall, ...setuid.ids], ['setresuid', 0, 0, 0xffffffff]);
  else assert.fail('setuid');
  if (fork?.kind === 'fork') assert.deepEqual([fork.childPid, fork.childStartNs], [601, 42]);
  else assert.fail('fork');
  if (exit?.kind === 'exit') assert.equal(exit.exitCode, 3 << 8);
  else assert.fail('exit');
  if (stats?.kind === 'stats') assert.deepEqual([stats.events, stats.drops, stats.framesOut], [10n, 2n, 11n]);
  else assert.fail('stats');
});
