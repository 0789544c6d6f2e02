import { realpathSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { WardenEvent } from '../model/events.js';

/* links kept at most; past it the oldest is forgotten */
const MAX_LINKS = 4096;
/* links followed in one name at most, as the kernel's own limit (ELOOP) */
const MAX_HOPS = 40;
/* a refused call: what the policy refused is the file the link leads to */
const EPERM = -1;
const EACCES = -13;

/**
 * What a name through a symbolic link means when the call failed. A successful open already
 * names the file it reached (the sensor reads it from the opened file); a refused one names the
 * path as asked, so `ln -s ~/.ssh/id_ed25519 docs/key.txt && cat docs/key.txt` would read as a
 * refused open of a workspace file. Links the session made are followed from its own symlink
 * events, in event order (a replay gets the same answer); a link made before the session is
 * followed live only, through the file system, for refused calls.
 */
export class LinkNames {
  private readonly links = new Map<string, string>();

  constructor(private readonly fallback: ((path: string) => string) | null = realTarget) {}

  /** Resolves a failed call's names through links in place, then learns from the event. */
  see(e: WardenEvent): void {
    switch (e.type) {
      case 'symlink':
        if (e.result >= 0) this.learn(e.path, resolve(dirname(e.path), e.target));
        return;
      case 'unlink':
        if (e.result >= 0) this.links.delete(e.path);
        else e.path = this.resolve(e.path, false, e.result);
        return;
      case 'rename': {
        if (e.result < 0) {
          e.path = this.resolve(e.path, false, e.result);
          e.newPath = this.resolve(e.newPath, false, e.result);
          return;
        }
        const moved = this.links.get(e.path);
        this.links.delete(e.path);
        this.links.delete(e.newPath);
        if (moved !== undefined) this.learn(e.newPath, moved);
        return;
      }
      case 'open': {
        if (e.result >= 0) return;
        const path = this.resolve(e.path, true, e.result);
        if (path !== e.path) {
          e.requestedPath ??= e.path;
          e.path = path;
        }
        return;
      }
      case 'chmod':
      case 'truncate':
        if (e.result < 0) e.path = this.resolve(e.path, true, e.result);
        return;
      default:
        return;
    }
  }

  /** The name with every link the session made followed; the last part only if the call follows it. */
  resolve(path: string, followLast: boolean, result: number): string {
    if (!path.startsWith('/')) return path;
    const resolved = this.links.size ? this.follow(path, followLast) : path;
    if (resolved !== path || !this.fallback || (result !== EPERM && result !== EACCES)) return resolved;
    return followLast ? this.fallback(path) : `${this.fallback(dirname(path)).replace(/\/$/, '')}/${basename(path)}`;
  }

  /** Every link the session made followed, in order, as the kernel would. */
  private follow(path: string, followLast: boolean): string {
    let parts = path.split('/').filter(Boolean);
    let done = '';
    for (let i = 0, hops = 0; i < parts.length; i++) {
      const next = `${done}/${parts[i]}`;
      const target = i < parts.length - 1 || followLast ? this.links.get(next) : undefined;
      if (target === undefined || hops++ >= MAX_HOPS) {
        done = next;
        continue;
      }
      /* start again from the link's target, with what came after the link */
      parts = [...target.split('/').filter(Boolean), ...parts.slice(i + 1)];
      done = '';
      i = -1;
    }
    return done || '/';
  }

  private learn(link: string, target: string): void {
    this.links.delete(link);
    this.links.set(link, target);
    if (this.links.size > MAX_LINKS) this.links.delete(this.links.keys().next().value as string);
  }
}

/** Where a name leads through the links already there; the name itself when it leads nowhere. */
function realTarget(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return path;
  }
}
