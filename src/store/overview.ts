/**
 * Reads across sessions, for the dashboard: alerts filtered by severity,
 * detector, agent and time; events searched by what they name; each agent's
 * sessions, programs and destinations; activity over time for a session or
 * the host. Every read is bounded (a limit, a window, or both).
 */
import type Database from 'better-sqlite3';
import { EventSchema, type WardenEvent } from '../model/events.js';
import { AlertSchema, type Alert } from '../model/records.js';
import type { Session } from '../model/session.js';
import { sessionFromRow, type Row } from './session-row.js';

export interface AlertFilter {
  severity?: string[];
  detector?: string[];
  agent?: string[];
  session?: string;
  sinceUs?: number;
  untilUs?: number;
  limit?: number;
}

/** An alert with the session and agent it belongs to. */
export type HostAlert = Alert & { sessionName: string | null; agent: string | null };

export interface AlertList {
  alerts: HostAlert[];
  /** alerts matching every filter, beyond the `limit` shown */
  total: number;
  /** in the time window (and session), per value: what each filter can narrow to */
  facets: { severity: Record<string, number>; detector: Record<string, number>; agent: Record<string, number> };
}

export interface EventSearch {
  /** matched, case-insensitively, in the path, command line, program, address or DNS name */
  text: string;
  types?: string[];
  session?: string;
  agent?: string;
  limit?: number;
}

export type FoundEvent = WardenEvent & { sessionName: string; agent: string | null };

export interface AgentSummary {
  agent: string;
  sessions: number;
  running: number;
  lastStartedUs: number;
  alerts: Record<string, number>;
}

export interface AgentDetail {
  agent: string;
  sessions: Array<Session & { alerts: number }>;
  alerts: Record<string, number>;
  detectors: Record<string, number>;
  /** the programs its recent sessions ran: how often, in how many sessions */
  programs: Array<{ exe: string; runs: number; sessions: number }>;
  /** where its recent sessions connected: the name asked for where one resolved to it */
  destinations: Array<{ destination: string; connects: number; sessions: number; denied: number }>;
}

/** What a bar of the activity chart counts. */
export const ACTIVITY_KINDS = ['exec', 'file', 'network', 'other'] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

export interface ActivityBucket {
  startUs: number;
  exec: number;
  file: number;
  network: number;
  other: number;
  /** refused or would-be-refused actions */
  denied: number;
  alerts: number;
}

export interface Activity {
  startUs: number;
  endUs: number;
  bucketUs: number;
  sessions: number;
  buckets: ActivityBucket[];
}

const FILE_TYPES = new Set(['open', 'unlink', 'rename', 'mkdir', 'link', 'symlink', 'mknod', 'chmod', 'truncate']);
const NETWORK_TYPES = new Set(['connect', 'send', 'bind', 'listen', 'accept', 'dns']);
/* lifecycle, not actions: every exec comes with them */
const LIFECYCLE = new Set(['fork', 'exit']);

export function activityKind(type: string): ActivityKind | null {
  if (LIFECYCLE.has(type)) return null;
  if (type === 'exec' || type === 'exec-failed') return 'exec';
  if (FILE_TYPES.has(type)) return 'file';
  if (NETWORK_TYPES.has(type)) return 'network';
  return 'other';
}

/** The sessions of the agent whose programs and destinations its page sums up. */
const RECENT_SESSIONS = 50;
/** events read for an agent's programs or destinations, at most */
const AGENT_EVENTS = 50000;

/** A WHERE clause built a condition at a time, with its parameters. */
class Where {
  readonly clauses: string[] = [];
  readonly args: unknown[] = [];
  and(clause: string, ...args: unknown[]): this {
    this.clauses.push(clause);
    this.args.push(...args);
    return this;
  }
  copy(): Where {
    const w = new Where();
    w.clauses.push(...this.clauses);
    w.args.push(...this.args);
    return w;
  }
  toString(): string {
    return this.clauses.length ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }
}

const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(',');
const tally = (rows: Array<{ k: string | null; n: number }>): Record<string, number> =>
  Object.fromEntries(rows.map((r) => [r.k ?? '', r.n]));

export class StoreOverview {
  constructor(private readonly db: Database.Database) {}

  alerts(f: AlertFilter): AlertList {
    const window = new Where();
    if (f.sinceUs !== undefined) window.and('a.time_us >= ?', f.sinceUs);
    if (f.untilUs !== undefined) window.and('a.time_us < ?', f.untilUs);
    if (f.session) window.and('a.session_id = ?', f.session);
    const narrow = window.copy();
    const anyOf = (col: string, values: string[] | undefined): void => {
      if (values?.length) narrow.and(`${col} IN (${placeholders(values.length)})`, ...values);
    };
    anyOf('a.severity', f.severity);
    anyOf('a.detector', f.detector);
    anyOf("COALESCE(s.agent, '')", f.agent);
    const from = 'FROM alerts a LEFT JOIN sessions s ON s.id = a.session_id';
    const rows = this.db
      .prepare(`SELECT a.id, a.data, s.name, s.agent ${from} ${narrow} ORDER BY a.time_us DESC, a.id DESC LIMIT ?`)
      .all(...narrow.args, f.limit ?? 200) as Array<{
      id: number;
      data: string;
      name: string | null;
      agent: string | null;
    }>;
    const total = (this.db.prepare(`SELECT COUNT(*) AS n ${from} ${narrow}`).get(...narrow.args) as { n: number }).n;
    const facet = (col: string): Record<string, number> =>
      tally(
        this.db
          .prepare(`SELECT ${col} AS k, COUNT(*) AS n ${from} ${window} GROUP BY 1 ORDER BY 2 DESC`)
          .all(...window.args) as Array<{ k: string | null; n: number }>,
      );
    return {
      alerts: rows.map((r) =>
        Object.assign(AlertSchema.parse(Object.assign(JSON.parse(r.data), { id: r.id })), {
          sessionName: r.name,
          agent: r.agent,
        }),
      ),
      total,
      facets: { severity: facet('a.severity'), detector: facet('a.detector'), agent: facet("COALESCE(s.agent, '')") },
    };
  }

  /** Events, newest first, that name `text` in what they did. */
  search(q: EventSearch): FoundEvent[] {
    const needle = q.text.toLowerCase();
    const fields = ['$.path', '$.argv', '$.exe', '$.daddr', '$.name'];
    const where = new Where().and(
      `(${fields.map((f) => `instr(lower(json_extract(e.data, '${f}')), ?) > 0`).join(' OR ')})`,
      ...fields.map(() => needle),
    );
    if (q.types?.length) where.and(`e.type IN (${placeholders(q.types.length)})`, ...q.types);
    if (q.session) where.and('e.session_id = ?', q.session);
    if (q.agent) where.and("COALESCE(s.agent, '') = ?", q.agent);
    const rows = this.db
      .prepare(
        `SELECT e.id, e.data, s.name, s.agent FROM events e JOIN sessions s ON s.id = e.session_id
         ${where} ORDER BY e.id DESC LIMIT ?`,
      )
      .all(...where.args, q.limit ?? 200) as Array<{ id: number; data: string; name: string; agent: string | null }>;
    return rows.map((r) =>
      Object.assign(EventSchema.parse({ ...JSON.parse(r.data), id: r.id }), { sessionName: r.name, agent: r.agent }),
    );
  }

  /** Every agent that ran on this host, with its sessions and alerts by severity. */
  agents(): AgentSummary[] {
    const rows = this.db
      .prepare(
        `SELECT COALESCE(agent, '') AS agent, COUNT(*) AS sessions, SUM(status = 'running') AS running,
           MAX(started_us) AS last FROM sessions GROUP BY 1 ORDER BY last DESC`,
      )
      .all() as Array<{ agent: string; sessions: number; running: number; last: number }>;
    const alerts = this.db
      .prepare(
        `SELECT COALESCE(s.agent, '') AS agent, a.severity AS severity, COUNT(*) AS n
         FROM alerts a JOIN sessions s ON s.id = a.session_id GROUP BY 1, 2`,
      )
      .all() as Array<{ agent: string; severity: string; n: number }>;
    return rows.map((r) => ({
      agent: r.agent,
      sessions: r.sessions,
      running: r.running,
      lastStartedUs: r.last,
      alerts: Object.fromEntries(alerts.filter((a) => a.agent === r.agent).map((a) => [a.severity, a.n])),
    }));
  }

  /** One agent's page: its sessions, alerts, and what its recent sessions ran and reached. */
  agent(name: string, limit = 100): AgentDetail | undefined {
    const sessions = (
      this.db
        .prepare(`SELECT * FROM sessions WHERE COALESCE(agent, '') = ? ORDER BY started_us DESC, rowid DESC LIMIT ?`)
        .all(name, limit) as Row[]
    ).map(sessionFromRow);
    if (!sessions.length) return undefined;
    const ids = sessions.map((s) => s.id);
    const perSession = new Map(
      (
        this.db
          .prepare(
            `SELECT session_id AS s, COUNT(*) AS n FROM alerts WHERE session_id IN (${placeholders(ids.length)}) GROUP BY 1`,
          )
          .all(...ids) as Array<{ s: string; n: number }>
      ).map((r) => [r.s, r.n]),
    );
    const byAgent = (col: string): Record<string, number> =>
      tally(
        this.db
          .prepare(
            `SELECT ${col} AS k, COUNT(*) AS n FROM alerts a JOIN sessions s ON s.id = a.session_id
             WHERE COALESCE(s.agent, '') = ? GROUP BY 1 ORDER BY 2 DESC`,
          )
          .all(name) as Array<{ k: string; n: number }>,
      );
    const recent = ids.slice(0, RECENT_SESSIONS);
    return {
      agent: name,
      sessions: sessions.map((s) => Object.assign(s, { alerts: perSession.get(s.id) ?? 0 })),
      alerts: byAgent('a.severity'),
      detectors: byAgent('a.detector'),
      programs: this.programsOf(recent),
      destinations: this.destinationsOf(recent),
    };
  }

  private programsOf(sessions: string[]): AgentDetail['programs'] {
    return this.db
      .prepare(
        `SELECT json_extract(data, '$.exe') AS exe, COUNT(*) AS runs, COUNT(DISTINCT session_id) AS sessions
         FROM (SELECT session_id, data FROM events WHERE session_id IN (${placeholders(sessions.length)}) AND type = 'exec' LIMIT ?)
         GROUP BY 1 ORDER BY runs DESC LIMIT 20`,
      )
      .all(...sessions, AGENT_EVENTS) as AgentDetail['programs'];
  }

  private destinationsOf(sessions: string[]): AgentDetail['destinations'] {
    const rows = this.db
      .prepare(
        `SELECT session_id AS s, type, data FROM events
         WHERE session_id IN (${placeholders(sessions.length)}) AND type IN ('dns', 'connect') ORDER BY id LIMIT ?`,
      )
      .all(...sessions, AGENT_EVENTS) as Array<{ s: string; type: string; data: string }>;
    const names = new Map<string, string>();
    const out = new Map<string, { connects: number; sessions: Set<string>; denied: number }>();
    for (const r of rows) {
      const e = JSON.parse(r.data) as {
        name?: string;
        answers?: string[];
        daddr?: string;
        dport?: number;
        family?: string;
        decision?: { verdict: string };
      };
      if (r.type === 'dns') {
        for (const a of e.answers ?? []) if (e.name) names.set(a, e.name);
        continue;
      }
      if (e.family !== 'ipv4' && e.family !== 'ipv6') continue;
      const host = names.get(e.daddr ?? '') ?? e.daddr ?? '?';
      const key = `${host}:${e.dport ?? 0}`;
      const d = out.get(key) ?? { connects: 0, sessions: new Set<string>(), denied: 0 };
      d.connects++;
      d.sessions.add(r.s);
      if (e.decision && e.decision.verdict !== 'allowed') d.denied++;
      out.set(key, d);
    }
    return [...out]
      .map(([destination, d]) => ({ destination, connects: d.connects, sessions: d.sessions.size, denied: d.denied }))
      .sort((a, b) => b.connects - a.connects)
      .slice(0, 20);
  }

  /**
   * Activity in [sinceUs, untilUs): actions per kind, refusals and alerts per bucket, for one
   * session, or every session on the host (of one agent, if said) that overlaps the window.
   */
  activity(o: { session?: string; agent?: string; sinceUs: number; untilUs: number; buckets: number }): Activity {
    const span = Math.max(o.untilUs - o.sinceUs, 1);
    const bucketUs = Math.max(1000, Math.ceil(span / o.buckets));
    const n = Math.ceil(span / bucketUs);
    const overlapping = `FROM sessions WHERE started_us < ? AND (ended_us IS NULL OR ended_us >= ?)${
      o.agent !== undefined ? " AND COALESCE(agent, '') = ?" : ''
    }`;
    const overlappingArgs = [o.untilUs, o.sinceUs, ...(o.agent !== undefined ? [o.agent] : [])];
    /* the host's: every event in the window (a scan by time, faster than one by session) */
    const [scope, scopeArgs]: [string, unknown[]] = o.session
      ? ['session_id = ?', [o.session]]
      : o.agent !== undefined
        ? [`session_id IN (SELECT id ${overlapping})`, overlappingArgs]
        : ['1', []];
    const sessions = o.session
      ? 1
      : (this.db.prepare(`SELECT COUNT(*) AS n ${overlapping}`).get(...overlappingArgs) as { n: number }).n;
    const buckets: ActivityBucket[] = Array.from({ length: n }, (_, i) => ({
      startUs: o.sinceUs + i * bucketUs,
      exec: 0,
      file: 0,
      network: 0,
      other: 0,
      denied: 0,
      alerts: 0,
    }));
    const window = 'time_us >= ? AND time_us < ?';
    const events = this.db
      .prepare(
        `SELECT CAST((time_us - ?) / ? AS INTEGER) AS b, type, COUNT(*) AS n,
           SUM(instr(data, '"verdict"') > 0 AND json_extract(data, '$.decision.verdict') != 'allowed') AS denied
         FROM events WHERE ${scope} AND ${window} GROUP BY 1, 2`,
      )
      .all(o.sinceUs, bucketUs, ...scopeArgs, o.sinceUs, o.untilUs) as Array<{
      b: number;
      type: string;
      n: number;
      denied: number;
    }>;
    for (const r of events) {
      const b = buckets[r.b];
      const kind = activityKind(r.type);
      if (!b) continue;
      if (kind) b[kind] += r.n;
      b.denied += r.denied;
    }
    const alerts = this.db
      /* the host's: every alert in the window, a host-wide one (no session) too */
      .prepare(
        `SELECT CAST((time_us - ?) / ? AS INTEGER) AS b, COUNT(*) AS n FROM alerts
         WHERE ${scope} AND ${window} GROUP BY 1`,
      )
      .all(o.sinceUs, bucketUs, ...scopeArgs, o.sinceUs, o.untilUs) as Array<{
      b: number;
      n: number;
    }>;
    for (const r of alerts) {
      const b = buckets[r.b];
      if (b) b.alerts += r.n;
    }
    return { startUs: o.sinceUs, endUs: o.untilUs, bucketUs, sessions, buckets };
  }
}
