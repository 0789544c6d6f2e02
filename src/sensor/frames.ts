/**
 * What the sensor's frames say, decoded (wire.ts): the records of a session's processes and calls
 * (RawEvent), and the loader's own messages (RawMessage).
 */

export interface RawTask {
  pid: number;
  tid: number;
  ppid: number;
  uid: number;
  gid: number;
  session: number;
  cgroupId: number;
  startNs: number;
  comm: string;
}

/* 64-bit times and ids are numbers (exact below 2^53 ns, ~104 days of uptime, and
 * within 256 ns after): a BigInt per field cost more than decoding the rest. */
export interface Base {
  timeNs: number;
  task: RawTask;
}

export type RawEvent =
  | (Base & { kind: 'exec'; oldPid: number; argc: number; argv: string[]; exe: string; cwd: string; truncated: number })
  | (Base & { kind: 'fork'; childPid: number; childStartNs: number })
  | (Base & { kind: 'exit'; exitCode: number })
  | (Base & {
      kind: 'file';
      type:
        'open' | 'unlink' | 'rename' | 'mkdir' | 'chmod' | 'truncate' | 'exec-failed' | 'link' | 'symlink' | 'mknod';
      syscall: string;
      result: number;
      length: number;
      flags: number;
      mode: number;
      path: string;
      requestedPath: string;
      newPath: string | undefined;
      flagsEx: number;
    })
  | (Base & {
      kind: 'net';
      type: 'connect' | 'send' | 'bind' | 'listen' | 'accept';
      syscall: string;
      result: number;
      bytes: number;
      fd: number;
      family: number;
      sockType: number;
      protocol: number;
      daddr: string;
      dport: number;
      laddr: string;
      lport: number;
      backlog: number;
    })
  | (Base & { kind: 'signal'; type: 'kill' | 'ptrace'; syscall: string; result: number; target: number; arg: number })
  | (Base & {
      kind: 'cred';
      type: 'setuid' | 'capset';
      syscall: string;
      result: number;
      ids: [number, number, number];
      capEffective: bigint;
      capPermitted: bigint;
      capInheritable: bigint;
    });

/** The file gate's counters since the loader started (struct wd_stats, gate_*). */
export interface GateCounters {
  /** permission events answered */
  answered: bigint;
  /** of those, from processes outside every session (allowed at once) */
  outsiders: bigint;
  /** session opens refused, by a rule or the deadline */
  denied: bigint;
  /** session opens refused because the decision deadline had passed */
  lateDenied: bigint;
  /** outsiders answered later than the deadline after the gate read them */
  lateOutsiders: bigint;
  /** the longest a session's open waited, from its syscall to the answer */
  maxWaitNs: bigint;
  /** the longest from reading an outsider's event to answering it */
  maxOutsiderNs: bigint;
  /** denial reports lost because the output was backed up */
  queueDrops: bigint;
  deadlineMs: number;
  /** the gate thread runs SCHED_FIFO */
  realtime: boolean;
}

export type RawMessage =
  | {
      kind: 'ready';
      bootNs: bigint;
      realtimeNs: bigint;
      programs: number;
      ringbufBytes: number;
      sessionLevel: number;
      lsm: boolean;
      unixHooks: boolean;
    }
  | { kind: 'ack'; cmdType: number; status: number; cmdId: bigint }
  | ({ kind: 'stats'; events: bigint; drops: bigint; truncations: bigint; readErrors: bigint; framesOut: bigint } & {
      gate: GateCounters;
    })
  | {
      kind: 'gate';
      timeNs: number;
      session: number;
      tid: number;
      access: number;
      rule: number;
      allowed: boolean;
      latencyNs: number;
      path: string;
    };

export type RawFrame = RawEvent | RawMessage;
