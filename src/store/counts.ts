/** Counts over the store, for the API's session list and the metrics. */
import type Database from 'better-sqlite3';

export class StoreCounts {
  constructor(private readonly db: Database.Database) {}

  /** alerts per session id */
  alertsBySession(): Map<string, number> {
    const rows = this.db
      .prepare('SELECT session_id AS s, COUNT(*) AS n FROM alerts GROUP BY session_id')
      .all() as Array<{
      s: string;
      n: number;
    }>;
    return new Map(rows.map((r) => [r.s, r.n]));
  }

  /** events of a session stored so far */
  eventsOf(sessionId: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM events WHERE session_id = ?').get(sessionId) as { n: number }).n;
  }

  /** events the kernel could not deliver, summed over recorded sessions */
  lost(): number {
    return (this.db.prepare('SELECT COALESCE(SUM(lost), 0) AS n FROM sessions').get() as { n: number }).n;
  }

  /** recorded sessions by status */
  sessionsByStatus(): Array<{ status: string; n: number }> {
    return this.db.prepare('SELECT status, COUNT(*) AS n FROM sessions GROUP BY status').all() as Array<{
      status: string;
      n: number;
    }>;
  }
}
