/**
 * The live process table: pid -> current process image, with stable unique
 * exec ids and parent links. A process seen for the first time (it existed
 * before its session was tracked) is seeded from /proc.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import type { ProcessRecord } from '../model/events.js';

/** A stable id for a process image: unique per boot for (pid, time it began). */
export function makeExecId(bootTag: string, pid: number, timeNs: number): string {
  return `${bootTag}-${pid}-${Math.round(timeNs).toString(36)}`;
}

export function readBootTag(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().replace(/-/g, '').slice(0, 8);
  } catch {
    return 'noboot';
  }
}

interface ProcSnapshot {
  ppid: number;
  comm: string;
  exe: string;
  argv: string[];
  cwd: string;
  uid: number;
  startTicks: number;
}

/**
 * A process's pid in each PID namespace from the host's down (/proc/PID/status
 * NSpid): one entry on the host, two inside a sealed session. Empty if gone.
 */
export function nsPids(pid: number): number[] {
  try {
    const line = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '';
    return line.trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** What /proc/PID/stat says of a process (its comm may hold spaces and parentheses). */
export function procStat(pid: number): { comm: string; ppid: number; startTicks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const rest = stat.slice(close + 2).split(' ');
    return { comm: stat.slice(stat.indexOf('(') + 1, close), ppid: Number(rest[1]), startTicks: Number(rest[19]) };
  } catch {
    return undefined;
  }
}

function readProc(pid: number): ProcSnapshot | undefined {
  try {
    const stat = procStat(pid);
    if (!stat) return undefined;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
    const safeLink = (p: string): string => {
      try {
        return readlinkSync(p);
      } catch {
        return '';
      }
    };
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return {
      ppid: stat.ppid,
      comm: stat.comm,
      exe: safeLink(`/proc/${pid}/exe`),
      argv: cmdline.split('\0').filter((a, i, all) => a !== '' || i < all.length - 1),
      cwd: safeLink(`/proc/${pid}/cwd`),
      uid,
      startTicks: stat.startTicks,
    };
  } catch {
    return undefined;
  }
}

export class ProcessTable {
  private readonly byPid = new Map<number, ProcessRecord>();

  constructor(
    private readonly bootTag: string,
    private readonly onRecord: (r: ProcessRecord) => void,
  ) {}

  get size(): number {
    return this.byPid.size;
  }

  get(pid: number): ProcessRecord | undefined {
    return this.byPid.get(pid);
  }

  /** The current image of pid, seeding it from /proc (or a bare placeholder) if unknown. */
  current(pid: number, hint: { ppid: number; comm: string; uid: number; nowUs: number }): ProcessRecord {
    const known = this.byPid.get(pid);
    if (known) return known;
    const snap = readProc(pid);
    const rec: ProcessRecord = {
      execId: makeExecId(this.bootTag, pid, (snap?.startTicks ?? 0) * 1e7),
      sessionId: null,
      pid,
      ppid: snap?.ppid ?? hint.ppid,
      parentExecId: null,
      origin: 'proc',
      comm: snap?.comm ?? hint.comm,
      exe: snap?.exe ?? '',
      argv: snap?.argv ?? [],
      cwd: snap?.cwd ?? '',
      uid: snap?.uid ?? hint.uid,
      startUs: hint.nowUs,
      endUs: null,
      exitCode: null,
      exitSignal: null,
    };
    this.byPid.set(pid, rec);
    return rec;
  }

  fork(parent: ProcessRecord, childPid: number, childStartNs: number, sessionId: string, nowUs: number): ProcessRecord {
    const child: ProcessRecord = Object.assign({}, parent, {
      execId: makeExecId(this.bootTag, childPid, childStartNs),
      sessionId,
      pid: childPid,
      ppid: parent.pid,
      parentExecId: parent.execId,
      origin: 'fork',
      startUs: nowUs,
      endUs: null,
      exitCode: null,
      exitSignal: null,
    });
    this.byPid.set(childPid, child);
    this.onRecord(child);
    return child;
  }

  exec(
    previous: ProcessRecord,
    img: { exe: string; argv: string[]; cwd: string; comm: string; uid: number; ppid: number; timeNs: number },
    sessionId: string,
    nowUs: number,
  ): ProcessRecord {
    if (previous.endUs === null && previous.origin !== 'proc') {
      previous.endUs = nowUs;
      this.onRecord(previous);
    }
    const rec: ProcessRecord = {
      execId: makeExecId(this.bootTag, previous.pid, img.timeNs),
      sessionId,
      pid: previous.pid,
      ppid: img.ppid,
      parentExecId: previous.execId,
      origin: 'exec',
      comm: img.comm,
      exe: img.exe,
      argv: img.argv,
      cwd: img.cwd,
      uid: img.uid,
      startUs: nowUs,
      endUs: null,
      exitCode: null,
      exitSignal: null,
    };
    this.byPid.set(previous.pid, rec);
    this.onRecord(rec);
    return rec;
  }

  exit(pid: number, code: number | null, signal: number | null, nowUs: number): void {
    const rec = this.byPid.get(pid);
    if (!rec) return;
    rec.endUs = nowUs;
    rec.exitCode = code;
    rec.exitSignal = signal;
    this.byPid.delete(pid);
    if (rec.origin !== 'proc') this.onRecord(rec);
  }
}
