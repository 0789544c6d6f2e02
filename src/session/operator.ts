/**
 * An operator's hands on a live session, shared by the CLI and the API:
 * freeze it (quarantine), release it, or end it.
 */
import { existsSync } from 'node:fs';
import { removePins } from '../enforce/network.js';
import type { Store } from '../store/store.js';
import type { Session } from '../model/session.js';
import { cgroupPids, freezeCgroup, killCgroup, removeCgroup } from '../enforce/cgroup.js';

export class NotLive extends Error {
  override name = 'NotLive';
}

function live(store: Store, id: string): Session {
  const s = store.session(id);
  if (!s) throw new NotLive(`no session ${id}`);
  if (!existsSync(s.cgroup)) throw new NotLive(`session ${s.id} has ended: its cgroup ${s.cgroup} is gone`);
  return s;
}

/**
 * Freezes every process of the session. `unwatched`: what kept it (its `warden run`'s daemon) is
 * gone, and it is recorded ended too, so that a release lets it go on kept by no one.
 */
export function freezeSession(
  store: Store,
  id: string,
  opts: { unwatched?: boolean } = {},
): { session: string; processes: number } {
  const s = live(store, id);
  freezeCgroup(s.cgroup, true);
  store.updateSession(s.id, { status: 'quarantined', ...(opts.unwatched ? { endedUs: Date.now() * 1000 } : {}) });
  return { session: s.id, processes: cgroupPids(s.cgroup).length };
}

/** Thaws a frozen session; `unwatched` when no warden run watches it any more. */
export function releaseSession(store: Store, id: string): { session: string; unwatched: boolean } {
  const s = live(store, id);
  freezeCgroup(s.cgroup, false);
  /* the kernel may have stopped the offender itself (SIGSTOP) before the freeze; a process
   * that ends between the listing and its SIGCONT (thawed, it may) is no error */
  for (const pid of cgroupPids(s.cgroup)) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }
  const unwatched = s.endedUs !== null && (s.status === 'quarantined' || s.status === 'failed');
  /* released unwatched, it runs kept by no one: reconciling leaves it alone */
  store.updateSession(s.id, { status: 'running', ...(unwatched ? { owner: null } : {}) });
  return { session: s.id, unwatched };
}

/** Ends every process of the session, frozen ones too, and removes its cgroup and network pins. */
export async function killSession(store: Store, id: string): Promise<{ session: string }> {
  const s = live(store, id);
  /* cgroup.kill ends frozen tasks too (measured): never thaw a suspect session to end it. A cgroup
   * its warden run removed in the meantime has nothing left to end */
  const ended = await killCgroup(s.cgroup).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return true;
    throw e;
  });
  if (!ended) throw new Error(`session ${s.id}: processes still alive after cgroup.kill`);
  removeCgroup(s.cgroup); /* its warden run, if it still runs, may have removed it first */
  removePins(s.id);
  store.updateSession(s.id, { status: 'ended', endedUs: s.endedUs ?? Date.now() * 1000, exitSignal: 9 });
  return { session: s.id };
}
