import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { WardenEvent } from '../model/events.js';
import { MIGRATIONS } from './migrations.js';
import { Store } from './store.js';

/** The store's database, opened beside it read-only: what its tables hold, past its methods. */
function peek<T>(dir: string, read: (db: Database.Database) => T): T {
  const db = new Database(join(dir, 'warden.db'), { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

function withStore(fn: (s: Store, dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'warden-store-'));
  const s = Store.open(dir);
  try {
    fn(s, dir);
  } finally {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const session = (id: string, startedUs: number) => ({
  id,
  name: id,
  command: ['sh', '-c', 'true'],
  cwd: '/',
  cgroup: `/sys/fs/cgroup/warden/${id}`,
  cgroupId: '42',
  status: 'running' as const,
  startedUs,
  rootPid: 1,
});

const openEvent = (sessionId: string, path: string): WardenEvent => ({
  sessionId,
  type: 'open',
  time: new Date(0).toISOString(),
  timeUs: 1,
  pid: 10,
  tid: 10,
  ppid: 1,
  uid: 0,
  gid: 0,
  comm: 'cat',
  exe: '/usr/bin/cat',
  execId: 'x-10-1',
  parentExecId: null,
  path,
  flags: 0,
  flagNames: ['O_RDONLY'],
  mode: 0,
  result: 3,
  syscall: 'openat',
});

test('migrations apply from an empty database to the latest version, in WAL mode', () => {
  withStore((s, dir) => {
    assert.equal(s.schemaVersion(), MIGRATIONS.at(-1)?.version);
    const tables = peek(
      dir,
      (db) => db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>,
    );
    for (const t of ['sessions', 'processes', 'events'])
      assert.ok(
        tables.some((r) => r.name === t),
        t,
      );
    assert.equal(
      peek(dir, (db) => db.pragma('journal_mode', { simple: true })),
      'wal',
    );
  });
});

test('reopening an up-to-date store applies nothing twice and keeps the data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-store-'));
  try {
    const first = Store.open(dir);
    first.createSession(session('a', 1));
    first.close();
    const again = Store.open(dir);
    assert.equal(again.schemaVersion(), MIGRATIONS.at(-1)?.version);
    assert.equal(again.sessions().length, 1);
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('events are stored in batches and read back through the schema, with ids', () => {
  withStore((s) => {
    s.createSession(session('a', 1));
    for (let i = 0; i < 2500; i++) s.addEvent(openEvent('a', `/f/${i}`));
    s.updateSession('a', { status: 'ended', endedUs: 2, exitCode: 0 });
    const events = s.eventsOf('a');
    assert.equal(events.length, 2500);
    assert.equal(events[0]?.type === 'open' && events[0].path, '/f/0');
    assert.ok(events.every((e, i) => e.id === (events[0]?.id ?? 0) + i));
    assert.equal(s.session('a')?.events, 2500);
    assert.equal(s.eventsOf('a', { types: ['exec'] }).length, 0);
  });
});

test('retention deletes old ended sessions and their events, never running ones', () => {
  withStore((s, dir) => {
    const day = 86400e6;
    const now = 100 * day;
    s.createSession(session('old', now - 40 * day));
    s.createSession(session('old-running', now - 40 * day));
    s.createSession(session('new', now - day));
    s.addEvent(openEvent('old', '/x'));
    s.updateSession('old', { status: 'ended' });
    s.updateSession('new', { status: 'ended' });
    assert.equal(s.applyRetention(30, now), 1);
    assert.deepEqual(
      s
        .sessions()
        .map((x) => x.id)
        .sort(),
      ['new', 'old-running'],
    );
    const left = peek(dir, (db) => db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number });
    assert.equal(left.n, 0, 'the old session took its events with it');
    assert.equal(s.applyRetention(0, now), 0, '0 keeps everything');
  });
});

test('a session id prefix finds its session; an ambiguous one is an error', () => {
  withStore((s) => {
    s.createSession(session('abc1', 1));
    s.createSession(session('abc2', 2));
    assert.equal(s.session('abc1')?.id, 'abc1');
    assert.throws(() => s.session('abc'), /ambiguous/);
    assert.equal(s.lastSession()?.id, 'abc2');
  });
});

test('processes opening a new store at once each find it made once', async () => {
  const { spawn } = await import('node:child_process');
  const script = `import('${new URL('./store.js', import.meta.url).href}').then((m) => m.Store.open(process.argv[1]).close())`;
  for (let round = 0; round < 5; round++) {
    const dir = mkdtempSync(join(tmpdir(), 'warden-store-race-'));
    try {
      const codes = await Promise.all(
        [0, 1, 2, 3].map(
          () =>
            new Promise<string>((done) => {
              const c = spawn(process.execPath, ['-e', script, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
              let err = '';
              c.stderr.on('data', (d: Buffer) => (err += d.toString()));
              c.on('close', (code) => done(code === 0 ? '' : err));
            }),
        ),
      );
      assert.deepEqual(codes, ['', '', '', ''], codes.join('\n'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test("a file's writers are the successful opens of it for writing, newest first, in any session", () => {
  withStore((s) => {
    s.createSession(session('a', 1));
    s.createSession(session('b', 1));
    const at = (e: WardenEvent, timeUs: number, more: Partial<WardenEvent> = {}): WardenEvent =>
      Object.assign({}, e, { timeUs }, more) as WardenEvent;
    const open = openEvent('a', '/w/f');
    s.addEvent(at(open, 10)); /* a read */
    s.addEvent(at(open, 20, { flags: 1, flagNames: ['O_WRONLY'] }));
    s.addEvent(at(open, 30, { flags: 2, flagNames: ['O_RDWR'], result: -13 })); /* refused */
    s.addEvent(at(openEvent('b', '/w/f'), 40, { flags: 0x41, flagNames: ['O_WRONLY', 'O_CREAT'] }));
    s.addEvent(at(openEvent('b', '/w/other'), 50, { flags: 1, flagNames: ['O_WRONLY'] }));
    s.flush();
    assert.deepEqual(
      s.writesOf('/w/f', 100).map((e) => [e.sessionId, e.timeUs]),
      [
        ['b', 40],
        ['a', 20],
      ],
    );
    assert.deepEqual(
      s.writesOf('/w/f', 40).map((e) => e.timeUs),
      [20],
    );
  });
});
