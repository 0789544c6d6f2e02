/**
 * Sessions are cgroups (v2). Finds the cgroup2 mount at run time, creates one
 * cgroup per session under a `warden` parent, and lists, freezes, kills and
 * removes them.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { nsPids } from '../pipeline/process-table.js';
import { setTimeout as sleep } from 'node:timers/promises';

export class CgroupError extends Error {
  override name = 'CgroupError';
}

/** The cgroup2 mount point: /sys/fs/cgroup on unified hosts, .../unified on hybrid ones. */
export function findCgroup2Mount(mounts = readFileSync('/proc/self/mounts', 'utf8')): string {
  for (const line of mounts.split('\n')) {
    const [, dir, fstype] = line.split(' ');
    if (fstype === 'cgroup2' && dir) return dir.replace(/\\040/g, ' ');
  }
  throw new CgroupError('no cgroup2 filesystem is mounted (mount -t cgroup2 none /sys/fs/cgroup)');
}

export interface SessionCgroup {
  path: string;
  id: bigint;
  /** depth below the cgroup2 root, as bpf_get_current_ancestor_cgroup_id counts it */
  level: number;
}

/** On cgroup2 the cgroup id is the inode number of its directory. */
export function cgroupId(path: string): bigint {
  return statSync(path, { bigint: true }).ino;
}

export function levelOf(mount: string, path: string): number {
  const rel = relative(mount, path);
  return rel === '' ? 0 : rel.split('/').length;
}

/** Every session cgroup's level: one below Warden's parent (`<mount>/warden`). */
export const sessionLevel = (mount = findCgroup2Mount()): number => levelOf(mount, join(mount, 'warden')) + 1;

/** The parent of all session cgroups; its level + 1 is every session's level. */
export function wardenParent(mount = findCgroup2Mount()): string {
  const dir = join(mount, 'warden');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function createSessionCgroup(sessionId: string, mount = findCgroup2Mount()): SessionCgroup {
  const path = join(wardenParent(mount), sessionId);
  try {
    mkdirSync(path);
  } catch (e) {
    throw new CgroupError(`cannot create session cgroup ${path}: ${(e as Error).message}`);
  }
  return { path, id: cgroupId(path), level: levelOf(mount, path) };
}

/**
 * The session's init (warden-launch, pid 1 of the session's PID namespace):
 * Warden's, not the agent's, so never listed as a process that outlived it.
 * The agent cannot make a PID namespace of its own (the floor's seccomp).
 */
export function isSessionInit(pid: number): boolean {
  const ns = nsPids(pid);
  return ns.length > 1 && ns[ns.length - 1] === 1;
}

/** Every pid in the cgroup and its descendants. */
export function cgroupPids(path: string): number[] {
  const pids: number[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const line of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) {
      if (line.trim()) pids.push(Number(line));
    }
    for (const ent of readdirSync(dir, { withFileTypes: true })) {
      if (ent.isDirectory()) walk(join(dir, ent.name));
    }
  };
  walk(path);
  return pids;
}

/** Whether any process is left in the cgroup; a cgroup already removed (its owner cleaned up) holds none. */
export function isPopulated(path: string): boolean {
  let events: string;
  try {
    events = readFileSync(join(path, 'cgroup.events'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  return /^populated 1$/m.test(events);
}

/** Kills every process in the cgroup (cgroup.kill) and waits until it is empty. */
export async function killCgroup(path: string, timeoutMs = 5000): Promise<boolean> {
  writeFileSync(join(path, 'cgroup.kill'), '1');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isPopulated(path)) return true;
    await sleep(10);
  }
  return !isPopulated(path);
}

export function freezeCgroup(path: string, frozen: boolean): void {
  writeFileSync(join(path, 'cgroup.freeze'), frozen ? '1' : '0');
}

/**
 * Removes the cgroup and any child cgroups the session made; they must be empty. One already gone
 * is fine: a session's warden run and an operator's `session kill` may both remove it, at once.
 */
export function removeCgroup(path: string): void {
  try {
    for (const ent of readdirSync(path, { withFileTypes: true })) {
      if (ent.isDirectory()) removeCgroup(join(path, ent.name));
    }
    try {
      rmdirSync(path);
    } catch (e) {
      /* EBUSY: its last processes, killed, are still being reaped; a moment, then again */
      if ((e as NodeJS.ErrnoException).code !== 'EBUSY') throw e;
      const deadline = Date.now() + 1000;
      while (isPopulated(path) && Date.now() < deadline)
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      rmdirSync(path);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
