/**
 * Reading a file an agent wrote, from Warden's own process. The agent chose
 * what is at that path: a FIFO would block a plain open forever, a device
 * would never end, a huge file would fill memory. So the open never blocks
 * (O_NONBLOCK), only a regular file is read, and only its first bytes.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { relative } from 'node:path';

/** The start of the regular file at `path` (up to `maxBytes`), or undefined for anything else. */
export function readFileStart(path: string, maxBytes = 1 << 20): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    const buf = Buffer.alloc(Math.min(maxBytes, st.size));
    const n = buf.length ? readSync(fd, buf, 0, buf.length, 0) : 0;
    return buf.subarray(0, n).toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * A workspace file as its last commit holds it (up to `maxBytes`), or undefined (not in a git
 * repository, not committed, git missing). git runs with nothing in the repository's config
 * able to run a command (no fsmonitor, hooks, pager or filters: cat-file of a blob applies none),
 * and within a bounded time, for the repository is the agent's to write.
 */
export function readCommitted(workspace: string, path: string, maxBytes = 1 << 20): string | undefined {
  if (!path.startsWith(`${workspace.replace(/\/+$/, '')}/`)) return undefined;
  const rel = relative(workspace, path);
  try {
    const out = execFileSync(
      'git',
      [
        '-c',
        'core.fsmonitor=',
        '-c',
        'core.hooksPath=/dev/null',
        '-c',
        'safe.directory=*',
        '--no-pager',
        '-C',
        workspace,
        'cat-file',
        'blob',
        `HEAD:${rel}`,
      ],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 2000,
        maxBuffer: maxBytes,
        env: { PATH: '/usr/bin:/bin', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
      },
    );
    return out.toString('utf8');
  } catch {
    return undefined;
  }
}
