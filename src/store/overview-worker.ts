/**
 * The dashboard's reads across sessions, on a thread of their own with their own
 * connection (WAL: readers never wait for the writer), so a search or a day's
 * activity over millions of events never holds up the daemon's event loop,
 * where every session's events are decoded and stored.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { StoreOverview } from './overview.js';

export interface OverviewCall {
  id: number;
  method: 'alerts' | 'search' | 'agents' | 'agent' | 'activity';
  args: unknown[];
}
export type OverviewAnswer = { id: number; result: unknown } | { id: number; error: string };

const db = new Database((workerData as { path: string }).path, { fileMustExist: true, timeout: 5000 });
db.pragma('query_only = ON');
const overview = new StoreOverview(db);

parentPort?.on('message', (m: OverviewCall) => {
  let answer: OverviewAnswer;
  try {
    const fn = overview[m.method] as (...a: unknown[]) => unknown;
    answer = { id: m.id, result: fn.apply(overview, m.args) };
  } catch (e) {
    answer = { id: m.id, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort?.postMessage(answer);
});
