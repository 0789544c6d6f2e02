/** Which process of a session owns a local UDP/TCP port (for DNS queries, which arrive anonymously). */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

function inodeOfPort(port: number): string | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['udp', 'udp6', 'tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]?.endsWith(`:${hex}`)) return cols[9];
    }
  }
  return undefined;
}

/** The pid among `pids` holding the socket bound to local `port`, if any. */
export function pidOfLocalPort(port: number, pids: number[]): number | undefined {
  const inode = inodeOfPort(port);
  if (!inode) return undefined;
  const target = `socket:[${inode}]`;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return pid;
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return undefined;
}
