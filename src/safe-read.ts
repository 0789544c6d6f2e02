/**
 * Reading a file an agent wrote, from Warden's own process. The agent chose
 * what is at that path: a FIFO would block a plain open forever, a device
 * would never end, a huge file would fill memory. So the open never blocks
 * (O_NONBLOCK), only a regular file is read, and only its first bytes.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

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
