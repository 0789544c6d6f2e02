import { readlinkSync } from 'node:fs';
import type { WardenEvent } from '../model/events.js';

/* a name through a file descriptor: /proc/self/fd/N[/rest], /proc/PID/task/TID/fd/N, /dev/fd/N */
const FD_PATH = /^\/(?:proc\/(self|thread-self|\d+)(?:\/task\/(\d+))?|dev)\/fd\/(\d+)(\/.*)?$/;
const O_CLOEXEC = 0o2000000;
/* a process's descriptors kept at most; a process past it keeps its newest */
const MAX_FDS = 4096;
/* processes kept at most (one whose exit was never seen, its session gone, is dropped first) */
const MAX_PROCESSES = 8192;

interface Opened {
  path: string;
  cloexec: boolean;
}

/**
 * What a descriptor-relative name (Claude Code's rename of /proc/self/fd/10/AGENTS.md.tmp over
 * /proc/self/fd/10/AGENTS.md, tar's chmod of /proc/self/fd/3) names, from each process's table of
 * descriptors as its own events built it: an open that returned 10 named what fd 10 is until the
 * next open returns 10, a fork copies the table, an exec drops what was opened close-on-exec.
 * The table is read in event order, so the answer is what the descriptor was when the call was
 * made, not what it is by the time the event is read (Bun closes and reuses a directory's
 * descriptor within microseconds). A descriptor the table never saw (inherited from before the
 * session, made by dup or socket) is read from /proc while the process still holds it, live only;
 * a replay passes no fallback and keeps the name as given.
 */
export class FdNames {
  private readonly tables = new Map<number, Map<number, Opened>>();

  constructor(private readonly fallback: ((path: string, pid: number, tid: number) => string) | null = readFd) {}

  /** Resolves the event's descriptor-relative names in place, then learns from it. */
  see(e: WardenEvent): void {
    switch (e.type) {
      case 'open': {
        const path = this.resolve(e.path, e.pid, e.tid);
        if (path !== e.path) {
          e.requestedPath ??= e.path;
          e.path = path;
        }
        if (e.result >= 0) this.opened(e.pid, e.result, e.path, (e.flags & O_CLOEXEC) !== 0);
        return;
      }
      case 'rename':
      case 'link':
        e.path = this.resolve(e.path, e.pid, e.tid);
        e.newPath = this.resolve(e.newPath, e.pid, e.tid);
        return;
      case 'unlink':
      case 'mkdir':
      case 'chmod':
      case 'symlink':
      case 'mknod':
      case 'truncate':
        e.path = this.resolve(e.path, e.pid, e.tid);
        return;
      case 'fork': {
        const parent = this.tables.get(e.pid);
        if (parent && this.tables.size < MAX_PROCESSES) this.tables.set(e.childPid, new Map(parent));
        return;
      }
      case 'exec': {
        const table = this.tables.get(e.pid);
        if (table) for (const [fd, o] of table) if (o.cloexec) table.delete(fd);
        return;
      }
      case 'exit':
        this.tables.delete(e.pid);
        return;
      default:
        return;
    }
  }

  /** The file a descriptor-relative name means; the name as given when nothing says. */
  resolve(path: string, pid: number, tid: number): string {
    if (!path.startsWith('/proc/') && !path.startsWith('/dev/fd/')) return path;
    const m = FD_PATH.exec(path);
    if (!m) return path;
    const [, who, , fd, rest] = m;
    const owner = who === undefined || who === 'self' || who === 'thread-self' ? pid : Number(who);
    const known = this.tables.get(owner)?.get(Number(fd));
    if (known) return rest ? `${known.path.replace(/\/$/, '')}${rest}` : known.path;
    return this.fallback ? this.fallback(path, pid, tid) : path;
  }

  private opened(pid: number, fd: number, path: string, cloexec: boolean): void {
    if (!path.startsWith('/')) return;
    let table = this.tables.get(pid);
    if (!table) {
      if (this.tables.size >= MAX_PROCESSES) this.tables.delete(this.tables.keys().next().value as number);
      this.tables.set(pid, (table = new Map()));
    }
    table.delete(fd);
    table.set(fd, { path, cloexec });
    if (table.size > MAX_FDS) table.delete(table.keys().next().value as number);
  }
}

/**
 * The file a descriptor-relative name means, read from the process's descriptor table while it
 * still holds it; the name as given when it does not (closed since, or not a file: a pipe, a socket).
 */
export function readFd(path: string, pid: number, tid: number): string {
  const m = FD_PATH.exec(path);
  if (!m) return path;
  const [, who, task, fd, rest] = m;
  const owner = who === 'thread-self' ? `${pid}/task/${tid}` : who && who !== 'self' ? who : String(pid);
  try {
    const target = readlinkSync(`/proc/${owner}${task ? `/task/${task}` : ''}/fd/${fd}`);
    if (!target.startsWith('/') || target.endsWith(' (deleted)')) return path;
    return rest ? `${target.replace(/\/$/, '')}${rest}` : target;
  } catch {
    return path;
  }
}
