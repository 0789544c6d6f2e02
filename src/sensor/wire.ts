/**
 * Decodes sensor frames (sensor/include/wire.h) with DataView, using the
 * offsets in layout.ts. Kernel strings arrive raw; paths are joined here.
 */
import * as L from './layout.js';
import type { StructLayout } from './layout.js';

export class WireError extends Error {
  override name = 'WireError';
}

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
interface Base {
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

const FILE_TYPES = {
  [L.FrameType.OPEN]: 'open',
  [L.FrameType.UNLINK]: 'unlink',
  [L.FrameType.RENAME]: 'rename',
  [L.FrameType.MKDIR]: 'mkdir',
  [L.FrameType.CHMOD]: 'chmod',
  [L.FrameType.TRUNCATE]: 'truncate',
  [L.FrameType.EXEC_FAILED]: 'exec-failed',
  [L.FrameType.LINK]: 'link',
  [L.FrameType.SYMLINK]: 'symlink',
  [L.FrameType.MKNOD]: 'mknod',
} as const;
const NET_TYPES = {
  [L.FrameType.CONNECT]: 'connect',
  [L.FrameType.SEND]: 'send',
  [L.FrameType.BIND]: 'bind',
  [L.FrameType.LISTEN]: 'listen',
  [L.FrameType.ACCEPT]: 'accept',
} as const;

/** Reads fields of one struct at a base offset (prototype methods: no per-frame closures). */
class Reader {
  constructor(
    readonly view: DataView,
    readonly base: number,
    readonly layout: StructLayout,
  ) {}

  private off(name: string): number {
    const f = this.layout.fields[name];
    if (!f) throw new WireError(`${this.layout.name} has no field ${name}`);
    return this.base + f.offset;
  }
  u16(n: string): number {
    return this.view.getUint16(this.off(n), true);
  }
  u32(n: string): number {
    return this.view.getUint32(this.off(n), true);
  }
  s32(n: string): number {
    return this.view.getInt32(this.off(n), true);
  }
  u64(n: string): bigint {
    return this.view.getBigUint64(this.off(n), true);
  }
  /** A 64-bit field as a number: exact below 2^53, which times, ids and results are. */
  n64(n: string): number {
    const at = this.off(n);
    return this.view.getUint32(at, true) + this.view.getUint32(at + 4, true) * 0x100000000;
  }
  s64(n: string): number {
    const at = this.off(n);
    return this.view.getUint32(at, true) + this.view.getInt32(at + 4, true) * 0x100000000;
  }
  bytes(n: string): Uint8Array {
    const at = this.off(n);
    const size = this.layout.fields[n]?.size ?? 0;
    return new Uint8Array(this.view.buffer, this.view.byteOffset + at, size);
  }
  sub(n: string, layout: StructLayout): Reader {
    return new Reader(this.view, this.off(n), layout);
  }
}

const utf8 = new TextDecoder('utf-8');

/** Takes consecutive variable-length pieces that follow a fixed struct. */
class Tail {
  private at: number;
  constructor(
    private readonly bytes: Uint8Array,
    start: number,
  ) {
    this.at = start;
  }
  take(len: number): Uint8Array {
    if (this.at + len > this.bytes.length) throw new WireError('variable data runs past the frame');
    const piece = this.bytes.subarray(this.at, this.at + len);
    this.at += len;
    return piece;
  }
}

function cString(b: Uint8Array): string {
  const end = b.indexOf(0);
  return utf8.decode(end < 0 ? b : b.subarray(0, end));
}

/** NUL-separated strings (argv). */
function cStrings(b: Uint8Array): string[] {
  if (b.length === 0) return [];
  const parts = utf8.decode(b).split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** A walked path: components leaf first, NUL-terminated; root last. */
export function walkedPath(b: Uint8Array): string {
  const parts = cStrings(b).filter((p) => p !== '/' && p !== '');
  return '/' + parts.reverse().join('/');
}

/** Lexical normalization of an absolute path ("." and ".." removed). */
export function normalizePath(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}

/** The absolute path a syscall named: as given if absolute, else joined to its base dir. */
export function joinPath(given: string, base: string): string {
  if (given.startsWith('/')) return normalizePath(given);
  if (base === '') return given; /* base unknown: keep what was asked for */
  return normalizePath(`${base}/${given}`);
}

export function ipString(family: number, addr: Uint8Array): string {
  if (family === 2) return `${addr[0]}.${addr[1]}.${addr[2]}.${addr[3]}`;
  if (family === 10) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push((((addr[i] ?? 0) << 8) | (addr[i + 1] ?? 0)).toString(16));
    if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') {
      return `::ffff:${addr[12]}.${addr[13]}.${addr[14]}.${addr[15]}`;
    }
    return compressV6(groups);
  }
  return '';
}

function compressV6(groups: string[]): string {
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

function task(r: Reader): RawTask {
  const t = r.sub('task', L.Task);
  return {
    pid: t.u32('pid'),
    tid: t.u32('tid'),
    ppid: t.u32('ppid'),
    uid: t.u32('uid'),
    gid: t.u32('gid'),
    session: t.u32('session'),
    cgroupId: t.n64('cgroup_id'),
    startNs: t.n64('start_ns'),
    comm: cString(t.bytes('comm')),
  };
}

const syscallName = (n: number): string => L.SYSCALLS[n] ?? `syscall-${n}`;

function decodeFile(
  r: Reader,
  bytes: Uint8Array,
  base: Base,
  type: (typeof FILE_TYPES)[keyof typeof FILE_TYPES],
): RawEvent {
  const tail = new Tail(bytes, L.File.size);
  const str1 = cString(tail.take(r.u16('str1_len')));
  const walk1 = walkedPath(tail.take(r.u16('walk1_len')));
  const walk1Len = r.u16('walk1_len');
  const str2Len = r.u16('str2_len');
  const str2 = cString(tail.take(str2Len));
  const walk2Len = r.u16('walk2_len');
  const walk2 = walkedPath(tail.take(walk2Len));
  const flagsEx = r.u32('flags_ex');
  const resolved = (flagsEx & L.Flag.RESOLVED) !== 0;
  const requestedPath = joinPath(str1, walk1Len > 0 && !resolved ? walk1 : '');
  return {
    timeNs: base.timeNs,
    task: base.task,
    kind: 'file',
    type,
    syscall: syscallName(r.u32('syscall')),
    result: r.s64('result'),
    length: r.n64('length'),
    flags: r.u32('flags'),
    mode: r.u32('mode'),
    path: resolved && walk1Len > 0 ? walk1 : requestedPath,
    requestedPath: str1 === '' && resolved ? walk1 : requestedPath,
    newPath: str2Len > 0 ? joinPath(str2, walk2Len > 0 ? walk2 : '') : undefined,
    flagsEx,
  };
}

const AF_UNIX = 1;

function decodeNet(r: Reader, base: Base, type: (typeof NET_TYPES)[keyof typeof NET_TYPES]): RawEvent {
  const family = r.u16('family');
  /* AF_UNIX: the name the call gave ('@' first: abstract) is the address */
  const unix = family === AF_UNIX ? cString(r.bytes('unix_path')) : undefined;
  return {
    timeNs: base.timeNs,
    task: base.task,
    kind: 'net',
    type,
    syscall: syscallName(r.u32('syscall')),
    result: r.s64('result'),
    bytes: r.n64('bytes'),
    fd: r.s32('fd'),
    family,
    sockType: r.u16('sock_type'),
    protocol: r.u16('protocol'),
    daddr: unix ?? ipString(family, r.bytes('daddr')),
    dport: r.u16('dport'),
    laddr: unix ?? ipString(family, r.bytes('laddr')),
    lport: r.u16('lport'),
    backlog: r.u32('backlog'),
  };
}

/** Decodes one whole frame; `bytes` must span exactly the frame. */
export function decodeFrame(bytes: Uint8Array): RawFrame {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < L.Header.size) throw new WireError('frame shorter than its header');
  const h = new Reader(view, 0, L.Header);
  const version = h.u16('version');
  if (version !== L.WIRE_VERSION) throw new WireError(`wire version ${version}, expected ${L.WIRE_VERSION}`);
  const type = h.u16('type');
  const timeNs = h.n64('time_ns');
  const need = (layout: StructLayout): Reader => {
    if (bytes.length < layout.size) throw new WireError(`${layout.name} frame of ${bytes.length} bytes`);
    return new Reader(view, 0, layout);
  };

  switch (type) {
    case L.FrameType.READY: {
      const r = need(L.Ready);
      return {
        kind: 'ready',
        bootNs: r.u64('boot_ns'),
        realtimeNs: r.u64('realtime_ns'),
        programs: r.u32('programs'),
        ringbufBytes: r.u32('ringbuf_bytes'),
        sessionLevel: r.u32('session_level'),
        lsm: r.u32('lsm') === 1,
        unixHooks: r.u32('unix_hooks') === 1,
      };
    }
    case L.FrameType.ACK: {
      const r = need(L.Ack);
      return { kind: 'ack', cmdType: r.u32('cmd_type'), status: r.s32('status'), cmdId: r.u64('cmd_id') };
    }
    case L.FrameType.STATS: {
      const r = need(L.Stats);
      return {
        kind: 'stats',
        events: r.u64('events'),
        drops: r.u64('drops'),
        truncations: r.u64('truncations'),
        readErrors: r.u64('read_errors'),
        framesOut: r.u64('frames_out'),
        gate: {
          answered: r.u64('gate_answered'),
          outsiders: r.u64('gate_outsiders'),
          denied: r.u64('gate_denied'),
          lateDenied: r.u64('gate_late_denied'),
          lateOutsiders: r.u64('gate_late_outsiders'),
          maxWaitNs: r.u64('gate_max_wait_ns'),
          maxOutsiderNs: r.u64('gate_max_outsider_ns'),
          queueDrops: r.u64('gate_queue_drops'),
          deadlineMs: r.u32('gate_deadline_ms'),
          realtime: r.u32('gate_realtime') === 1,
        },
      };
    }
    case L.FrameType.GATE: {
      const r = need(L.GateDecision);
      return {
        kind: 'gate',
        timeNs,
        session: r.u32('session'),
        tid: r.u32('tid'),
        access: r.u32('access'),
        rule: r.u32('rule'),
        allowed: r.u32('allowed') === 1,
        latencyNs: r.u32('latency_ns'),
        path: cString(r.bytes('path')),
      };
    }
    case L.FrameType.EXEC: {
      const r = need(L.Exec);
      const tail = new Tail(bytes, L.Exec.size);
      return {
        timeNs,
        task: task(r),
        kind: 'exec',
        oldPid: r.u32('old_pid'),
        argc: r.u32('argc'),
        argv: cStrings(tail.take(r.u16('argv_len'))),
        exe: walkedPath(tail.take(r.u16('exe_len'))),
        cwd: walkedPath(tail.take(r.u16('cwd_len'))),
        truncated: r.u16('truncated'),
      };
    }
    case L.FrameType.FORK: {
      const r = need(L.Fork);
      return {
        timeNs,
        task: task(r),
        kind: 'fork',
        childPid: r.u32('child_pid'),
        childStartNs: r.n64('child_start_ns'),
      };
    }
    case L.FrameType.EXIT: {
      const r = need(L.Exit);
      return { timeNs, task: task(r), kind: 'exit', exitCode: r.s32('exit_code') };
    }
    case L.FrameType.KILL:
    case L.FrameType.PTRACE: {
      const r = need(L.Signal);
      return {
        timeNs,
        task: task(r),
        kind: 'signal',
        type: type === L.FrameType.KILL ? 'kill' : 'ptrace',
        syscall: syscallName(r.u32('syscall')),
        result: r.s64('result'),
        target: r.s32('target'),
        arg: r.u32('arg'),
      };
    }
    case L.FrameType.SETUID:
    case L.FrameType.CAPSET: {
      const r = need(L.Cred);
      const ids = new DataView(bytes.buffer, bytes.byteOffset + (L.Cred.fields.ids?.offset ?? 0), 12);
      return {
        timeNs,
        task: task(r),
        kind: 'cred',
        type: type === L.FrameType.SETUID ? 'setuid' : 'capset',
        syscall: syscallName(r.u32('syscall')),
        result: r.s64('result'),
        ids: [ids.getUint32(0, true), ids.getUint32(4, true), ids.getUint32(8, true)],
        capEffective: r.u64('cap_effective'),
        capPermitted: r.u64('cap_permitted'),
        capInheritable: r.u64('cap_inheritable'),
      };
    }
  }
  if (type in FILE_TYPES) {
    const r = need(L.File);
    return decodeFile(r, bytes, { timeNs, task: task(r) }, FILE_TYPES[type as keyof typeof FILE_TYPES]);
  }
  if (type in NET_TYPES) {
    const r = need(L.Net);
    return decodeNet(r, { timeNs, task: task(r) }, NET_TYPES[type as keyof typeof NET_TYPES]);
  }
  throw new WireError(`unknown frame type ${type}`);
}

/** Encodes a track/untrack/stats command for the loader's stdin. */
export function encodeCommand(type: number, cmdId: bigint, cgroupId: bigint, session: number): Uint8Array {
  return commandFrame(L.Cmd, type, cmdId).set('cgroup_id', cgroupId).set('session', session).bytes;
}

/** Writes named fields of one struct into a buffer (the inverse of Reader). */
export class Writer {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  constructor(
    readonly layout: StructLayout,
    size = layout.size,
  ) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  private field(n: string): { offset: number; size: number } {
    const f = this.layout.fields[n] ?? L.Header.fields[n];
    if (!f) throw new WireError(`${this.layout.name} has no field ${n}`);
    return f;
  }
  set(n: string, v: number | bigint): this {
    const f = this.field(n);
    if (f.size === 1) this.view.setUint8(f.offset, Number(v));
    else if (f.size === 2) this.view.setUint16(f.offset, Number(v), true);
    else if (f.size === 4) this.view.setUint32(f.offset, Number(v) >>> 0, true);
    else this.view.setBigUint64(f.offset, BigInt(v), true);
    return this;
  }
  put(n: string, data: Uint8Array): this {
    const f = this.field(n);
    if (data.length > f.size) throw new WireError(`${data.length} bytes do not fit ${this.layout.name}.${n}`);
    this.bytes.set(data, f.offset);
    return this;
  }
}

/** A 32-bit map key or value, little-endian as the kernel stores it here. */
export function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/** A command frame with its header filled in. */
export function commandFrame(layout: StructLayout, type: number, cmdId: bigint): Writer {
  return new Writer(layout)
    .set('version', L.WIRE_VERSION)
    .set('type', type)
    .set('size', layout.size)
    .set('cmd_id', cmdId);
}

/**
 * Splits a byte stream into whole frames. Feed chunks as they arrive; each
 * call returns the frames completed so far, keeping a partial tail.
 */
export class FrameSplitter {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Uint8Array[] {
    const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: Uint8Array[] = [];
    let at = 0;
    while (data.length - at >= L.Header.size) {
      const size = data.readUInt32LE(at + (L.Header.fields.size?.offset ?? 4));
      if (size < L.Header.size || size > L.FRAME_MAX) {
        throw new WireError(`frame size ${size} at stream offset ${at}: stream is corrupt`);
      }
      if (data.length - at < size) break;
      frames.push(data.subarray(at, at + size));
      at += size;
    }
    this.pending = at < data.length ? Buffer.from(data.subarray(at)) : Buffer.alloc(0);
    return frames;
  }
}
