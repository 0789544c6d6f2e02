/**
 * The embedded store: SQLite (WAL) under the state directory. Events and
 * process records are queued and written in batches, one transaction each.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EventSchema, type ProcessRecord, type WardenEvent } from '../model/events.js';
import type { Session } from '../model/session.js';
import { AppRecords } from './app-records.js';
import { BaselineRecords } from './baseline-records.js';
import { StoreCounts } from './counts.js';
import { sessionFromRow, UPDATABLE, type Row } from './session-row.js';
import { MIGRATIONS } from './migrations.js';

const BATCH = 2000;
const FLUSH_MS = 50;
/** how long a process waits for another's lock on the store */
const BUSY_MS = 5000;
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

export interface StoreOptions {
  /** each batch of events once it is stored (ids set): what comes after the store (export) */
  onStored?: (events: WardenEvent[]) => void;
}

/** The path of a successful open for writing (what writesOf finds), else null: most events touch no index of it. */
const writtenPath = (e: WardenEvent): string | null =>
  e.type === 'open' && (e.flags & 3) !== 0 && e.result >= 0 ? e.path : null;

export class Store {
  private readonly db: Database.Database;
  /** turns, tool calls, alerts and MCP pins */
  readonly app: AppRecords;
  /** per-agent profiles and slow-burn accumulators */
  readonly baselines: BaselineRecords;
  /** counts for the API and the metrics */
  readonly counts: StoreCounts;
  private events: WardenEvent[] = [];
  private procs = new Map<string, ProcessRecord>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    path: string,
    private readonly opts: StoreOptions = {},
  ) {
    this.db = new Database(path, { timeout: BUSY_MS });
    this.useWal();
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
    this.app = new AppRecords(this.db, () => this.flush());
    this.baselines = new BaselineRecords(this.db);
    this.counts = new StoreCounts(this.db);
  }

  static open(stateDir: string, opts: StoreOptions = {}): Store {
    try {
      mkdirSync(stateDir, { recursive: true, mode: 0o700 });
      return new Store(join(stateDir, 'warden.db'), opts);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM' || /unable to open|readonly/i.test((e as Error).message)) {
        throw new Error(
          `cannot open Warden's store in ${stateDir}: permission denied. Warden's state belongs to root: ` +
            'run this as root (sudo), or point --state-dir / WARDEN_STATE_DIR at a directory you own',
        );
      }
      throw e;
    }
  }

  /** Opens the store for the length of `fn` (a CLI command), and closes it whatever happens. */
  static use<T>(stateDir: string, fn: (s: Store) => T): T {
    const store = Store.open(stateDir);
    try {
      return fn(store);
    } finally {
      store.close();
    }
  }

  /**
   * Turns WAL on. Switching a new database into WAL takes its write lock from a read lock, and
   * SQLite answers SQLITE_BUSY at once (without its busy handler, which could deadlock there)
   * when another process is making the same switch, so two `warden run`s opening a new store
   * at once wait here for each other, up to the same bound as any other lock.
   */
  private useWal(): void {
    const deadline = Date.now() + BUSY_MS;
    for (;;) {
      try {
        this.db.pragma('journal_mode = WAL');
        return;
      } catch (e) {
        if ((e as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw e;
        Atomics.wait(PAUSE, 0, 0, 5);
      }
    }
  }

  schemaVersion(): number {
    return Number(this.db.pragma('user_version', { simple: true }));
  }

  private migrate(): void {
    for (const m of MIGRATIONS) {
      if (m.version <= this.schemaVersion()) continue;
      /* the version read again under the write lock: two processes opening a new store at once
       * (two `warden run`s) both saw 0 above, and the second would create the tables again */
      this.db
        .transaction(() => {
          if (m.version <= this.schemaVersion()) return;
          this.db.exec(m.sql);
          this.db.pragma(`user_version = ${m.version}`);
        })
        .immediate();
    }
  }

  /** Deletes sessions that ended more than `days` ago; 0 keeps everything. */
  applyRetention(days: number, nowUs = Date.now() * 1000): number {
    if (days <= 0) return 0;
    const cutoff = nowUs - days * 86400e6;
    return this.db.prepare(`DELETE FROM sessions WHERE status != 'running' AND started_us < ?`).run(cutoff).changes;
  }

  /** Every session with `status`, oldest first. */
  sessionsWithStatus(status: Session['status']): Session[] {
    return this.db
      .prepare(`SELECT * FROM sessions WHERE status = ? ORDER BY started_us`)
      .all(status)
      .map((r) => sessionFromRow(r as Row));
  }

  createSession(
    s: Omit<
      Session,
      | 'events'
      | 'lost'
      | 'lingering'
      | 'endedUs'
      | 'exitCode'
      | 'exitSignal'
      | 'policy'
      | 'mechanisms'
      | 'agent'
      | 'owner'
      | 'proxyPort'
    > & { agent?: string | null; owner?: string | null; proxyPort?: number | null },
  ): void {
    this.db
      .prepare(
        `INSERT INTO sessions (id, name, command, cwd, cgroup, cgroup_id, status, started_us, root_pid, agent, owner, proxy_port)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        s.id,
        s.name,
        JSON.stringify(s.command),
        s.cwd,
        s.cgroup,
        s.cgroupId,
        s.status,
        s.startedUs,
        s.rootPid,
        s.agent ?? null,
        s.owner ?? null,
        s.proxyPort ?? null,
      );
  }

  updateSession(
    id: string,
    f: Partial<
      Pick<
        Session,
        | 'status'
        | 'endedUs'
        | 'exitCode'
        | 'exitSignal'
        | 'rootPid'
        | 'lost'
        | 'lingering'
        | 'policy'
        | 'mechanisms'
        | 'owner'
      >
    >,
  ): void {
    this.flush();
    const cols: string[] = [];
    const vals: unknown[] = [];
    for (const [k, v] of Object.entries(f)) {
      const col = UPDATABLE[k];
      if (!col) continue;
      cols.push(`${col} = ?`);
      vals.push(k === 'lingering' || k === 'mechanisms' ? JSON.stringify(v) : v);
    }
    cols.push('events = (SELECT COUNT(*) FROM events WHERE session_id = ?)');
    vals.push(id);
    this.db.prepare(`UPDATE sessions SET ${cols.join(', ')} WHERE id = ?`).run(...vals, id);
  }

  addEvent(e: WardenEvent): void {
    this.events.push(e);
    this.schedule();
  }

  putProcess(p: ProcessRecord): void {
    this.procs.set(p.execId, Object.assign({}, p));
    this.schedule();
  }

  private schedule(): void {
    if (!this.db.open) return; /* closed: the session is over and its record final */
    if (this.events.length + this.procs.size >= BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Writes everything queued in one transaction. */
  flush(): void {
    if (!this.db.open) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.events.length === 0 && this.procs.size === 0) return;
    const events = this.events;
    const procs = [...this.procs.values()];
    this.events = [];
    this.procs = new Map();
    const insEvent = this.db.prepare(
      'INSERT INTO events (session_id, time_us, type, pid, exec_id, tool_call, written_path, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const upProc = this.db.prepare(
      `INSERT INTO processes (exec_id, session_id, pid, ppid, parent_exec_id, origin, comm, exe, argv, cwd, uid,
         start_us, end_us, exit_code, exit_signal)
       VALUES (@execId, @sessionId, @pid, @ppid, @parentExecId, @origin, @comm, @exe, @argv, @cwd, @uid,
         @startUs, @endUs, @exitCode, @exitSignal)
       ON CONFLICT(exec_id) DO UPDATE SET end_us = excluded.end_us, exit_code = excluded.exit_code,
         exit_signal = excluded.exit_signal`,
    );
    this.db
      .transaction(() => {
        for (const p of procs) upProc.run(Object.assign({}, p, { argv: JSON.stringify(p.argv) }));
        for (const e of events) {
          /* e.id is still unset here, so JSON leaves it out; no rest-spread on this path */
          const info = insEvent.run(
            e.sessionId,
            e.timeUs,
            e.type,
            e.pid,
            e.execId,
            e.toolCallId ?? null,
            writtenPath(e),
            JSON.stringify(e),
          );
          e.id = Number(info.lastInsertRowid);
        }
      })
      .immediate();
    this.opts.onStored?.(events);
  }

  sessions(limit = 50): Session[] {
    return this.db
      .prepare('SELECT * FROM sessions ORDER BY started_us DESC, rowid DESC LIMIT ?')
      .all(limit)
      .map((r) => sessionFromRow(r as Row));
  }

  session(id: string): Session | undefined {
    const r = this.db.prepare('SELECT * FROM sessions WHERE id = ? OR id LIKE ?').all(id, `${id}%`) as Row[];
    if (r.length > 1) throw new Error(`session id prefix ${id} is ambiguous (${r.length} sessions)`);
    return r[0] ? sessionFromRow(r[0]) : undefined;
  }

  /** The ended sessions of one agent, newest first. */
  sessionsOfAgent(agent: string, limit = 200): Session[] {
    return this.db
      .prepare(`SELECT * FROM sessions WHERE agent = ? AND status != 'running' ORDER BY started_us DESC LIMIT ?`)
      .all(agent, limit)
      .map((r) => sessionFromRow(r as Row));
  }

  lastSession(): Session | undefined {
    return this.sessions(1)[0];
  }

  eventsOf(sessionId: string, opts: { types?: string[]; limit?: number } = {}): WardenEvent[] {
    const types = opts.types ?? [];
    const where = types.length ? `AND type IN (${types.map(() => '?').join(',')})` : '';
    const rows = this.db
      .prepare(`SELECT id, data FROM events WHERE session_id = ? ${where} ORDER BY id LIMIT ?`)
      .all(sessionId, ...types, opts.limit ?? -1) as Array<{ id: number; data: string }>;
    return rows.map((r) => EventSchema.parse({ ...JSON.parse(r.data), id: r.id }));
  }

  /** The newest event and alert ids: where a follower of the store starts. */
  lastIds(): { event: number; alert: number } {
    const max = (table: string): number =>
      (this.db.prepare(`SELECT COALESCE(MAX(id), 0) AS m FROM ${table}`).get() as { m: number }).m;
    return { event: max('events'), alert: max('alerts') };
  }

  /** Rows of events or alerts stored after `afterId`, oldest first, as stored (JSON text). */
  rowsAfter(
    table: 'events' | 'alerts',
    afterId: number,
    limit: number,
    sessionId?: string | null,
  ): Array<{ id: number; data: string }> {
    const where = sessionId ? 'AND session_id = ?' : '';
    return this.db
      .prepare(`SELECT id, data FROM ${table} WHERE id > ? ${where} ORDER BY id LIMIT ?`)
      .all(afterId, ...(sessionId ? [sessionId] : []), limit) as Array<{ id: number; data: string }>;
  }

  event(id: number): WardenEvent | undefined {
    const r = this.db.prepare('SELECT id, data FROM events WHERE id = ?').get(id) as
      { id: number; data: string } | undefined;
    return r ? EventSchema.parse({ ...JSON.parse(r.data), id: r.id }) : undefined;
  }

  /** Successful opens of `path` for writing in any session, before `beforeUs`, newest first. */
  writesOf(path: string, beforeUs: number): WardenEvent[] {
    const rows = this.db
      .prepare(`SELECT id, data FROM events WHERE written_path = ? AND time_us < ? ORDER BY time_us DESC LIMIT 20`)
      .all(path, beforeUs) as Array<{ id: number; data: string }>;
    return rows.map((r) => EventSchema.parse({ ...JSON.parse(r.data), id: r.id }));
  }

  /**
   * Loopback endpoints on `port` in sessions other than `sessionId` before `beforeUs`: who listened
   * there (a server the session talked to) or connected there (a client that talked to the session).
   */
  peersOn(port: number, sessionId: string, beforeUs: number): WardenEvent[] {
    const rows = this.db
      .prepare(
        `SELECT id, data FROM events WHERE type IN ('listen', 'connect') AND session_id != ? AND time_us < ?
         AND (json_extract(data, '$.lport') = ? OR json_extract(data, '$.dport') = ?)
         AND json_extract(data, '$.result') >= 0 ORDER BY time_us DESC LIMIT 10`,
      )
      .all(sessionId, beforeUs, port, port) as Array<{ id: number; data: string }>;
    return rows.map((r) => EventSchema.parse({ ...JSON.parse(r.data), id: r.id }));
  }

  processesOf(sessionId: string): ProcessRecord[] {
    const rows = this.db
      .prepare('SELECT * FROM processes WHERE session_id = ? ORDER BY start_us, rowid')
      .all(sessionId) as Row[];
    return rows.map((r) => ({
      execId: String(r.exec_id),
      sessionId: r.session_id as string | null,
      pid: Number(r.pid),
      ppid: Number(r.ppid),
      parentExecId: (r.parent_exec_id as string | null) ?? null,
      origin: r.origin as ProcessRecord['origin'],
      comm: String(r.comm),
      exe: String(r.exe),
      argv: JSON.parse(String(r.argv)) as string[],
      cwd: String(r.cwd),
      uid: Number(r.uid),
      startUs: Number(r.start_us),
      endUs: (r.end_us as number | null) ?? null,
      exitCode: (r.exit_code as number | null) ?? null,
      exitSignal: (r.exit_signal as number | null) ?? null,
    }));
  }

  /** the database file, for a reader of its own (a worker thread's connection) */
  get path(): string {
    return this.db.name;
  }

  close(): void {
    this.flush();
    this.db.close();
  }
}
