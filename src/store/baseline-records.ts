/** Per-agent baselines and the slow-burn accumulators that add up across sessions. */
import type Database from 'better-sqlite3';
import { ProfileSchema, type Profile } from '../model/profile.js';

export interface Accumulated {
  total: number;
  sessions: number;
  /** already alerted on: a threshold is crossed once */
  alerted: boolean;
}

export class BaselineRecords {
  constructor(private readonly db: Database.Database) {}

  put(p: Profile): void {
    this.db.prepare('INSERT OR REPLACE INTO baselines (agent, data) VALUES (?, ?)').run(p.agent, JSON.stringify(p));
  }

  get(agent: string): Profile | undefined {
    const r = this.db.prepare('SELECT data FROM baselines WHERE agent = ?').get(agent) as { data: string } | undefined;
    return r ? ProfileSchema.parse(JSON.parse(r.data)) : undefined;
  }

  /** Adds one session's amount to an accumulator; returns the new total. */
  add(agent: string, key: string, amount: number): Accumulated {
    this.db
      .prepare(
        `INSERT INTO accumulators (agent, key, total, sessions, updated_us) VALUES (?, ?, ?, 1, ?)
         ON CONFLICT(agent, key) DO UPDATE SET total = total + excluded.total, sessions = sessions + 1,
           updated_us = excluded.updated_us`,
      )
      .run(agent, key, amount, Date.now() * 1000);
    const r = this.db
      .prepare('SELECT total, sessions, alerted FROM accumulators WHERE agent = ? AND key = ?')
      .get(agent, key) as { total: number; sessions: number; alerted: number };
    return { total: r.total, sessions: r.sessions, alerted: r.alerted === 1 };
  }

  markAlerted(agent: string, key: string): void {
    this.db.prepare('UPDATE accumulators SET alerted = 1 WHERE agent = ? AND key = ?').run(agent, key);
  }

  accumulators(agent: string): Array<{ key: string } & Accumulated> {
    const rows = this.db
      .prepare('SELECT key, total, sessions, alerted FROM accumulators WHERE agent = ? ORDER BY total DESC')
      .all(agent) as Array<{ key: string; total: number; sessions: number; alerted: number }>;
    return rows.map((r) => ({ key: r.key, total: r.total, sessions: r.sessions, alerted: r.alerted === 1 }));
  }
}
