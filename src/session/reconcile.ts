/**
 * A session is kept by one process: its `warden run` (standalone) or the
 * daemon that hosts it. When that process dies without ending the session (a
 * SIGKILL, a crash, a reboot), nothing would ever mark it ended. Every Warden
 * command that opens the store first reconciles: a `running` session whose
 * keeper is gone is marked `failed`, and what is left of it is settled the
 * way it was run: an enforced session stays frozen for an operator (fail
 * closed, even when it looks empty), a monitor-only one is ended, as `warden
 * run` ends lingering processes.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removePins } from '../enforce/network.js';
import { procStat, readBootTag } from '../pipeline/process-table.js';
import { Store, type StoreOptions } from '../store/store.js';
import { type Session } from '../model/session.js';
import { freezeCgroup, isPopulated, removeCgroup } from '../enforce/cgroup.js';

/** Names a process so that it cannot be mistaken for a later one with the same pid. */
export function processIdentity(pid = process.pid): string {
  return `${readBootTag()}/${pid}/${procStat(pid)?.startTicks ?? '?'}`;
}

/** Whether the process named by `identity` still runs (same boot, same pid, same start). */
export function identityAlive(identity: string): boolean {
  const [boot, pid, ticks] = identity.split('/');
  if (boot !== readBootTag() || !pid || !/^\d+$/.test(pid)) return false;
  const now = procStat(Number(pid))?.startTicks;
  return now !== undefined && String(now) === ticks;
}

export interface Reconciled {
  session: string;
  /** what was done with what was left of it */
  outcome: 'gone' | 'frozen' | 'ended';
}

/** Sleeps this thread: reconciling runs before a command does anything else. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function settle(s: Session): Reconciled['outcome'] {
  if (!existsSync(s.cgroup)) {
    removePins(s.id);
    return 'gone';
  }
  if (s.policy !== null) {
    /* frozen even if empty: a launcher its dead run had already started may join it yet.
     * Its limits stay pinned; an operator decides */
    freezeCgroup(s.cgroup, true);
    return 'frozen';
  }
  if (isPopulated(s.cgroup)) {
    writeFileSync(join(s.cgroup, 'cgroup.kill'), '1'); /* ends frozen tasks too */
    for (let i = 0; i < 50 && isPopulated(s.cgroup); i++) pause(10);
  }
  try {
    removeCgroup(s.cgroup);
  } catch {
    /* still emptying after cgroup.kill: the operator's kill or the next run removes it */
  }
  removePins(s.id);
  return 'ended';
}

/** Marks every session whose keeper died `failed` and settles what is left of it. */
export function reconcileSessions(store: Store): Reconciled[] {
  const done: Reconciled[] = [];
  for (const s of store.sessionsWithStatus('running')) {
    if (!s.owner || identityAlive(s.owner)) continue;
    const outcome = settle(s);
    store.updateSession(s.id, { status: 'failed', endedUs: s.endedUs ?? Date.now() * 1000 });
    done.push({ session: s.id, outcome });
  }
  return done;
}

/** The store, reconciled: how every Warden command opens it. */
export function openStore(stateDir: string, opts: StoreOptions = {}): Store {
  const store = Store.open(stateDir, opts);
  try {
    reconcileSessions(store);
  } catch (e) {
    store.close();
    throw e;
  }
  return store;
}

/** Opens the reconciled store for the length of `fn` (a CLI command), and closes it whatever happens. */
export function useStore<T>(stateDir: string, fn: (s: Store) => T): T {
  const store = openStore(stateDir);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}
