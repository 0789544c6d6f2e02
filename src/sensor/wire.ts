/**
 * Decodes sensor frames (sensor/include/wire.h) with DataView, using the
 * offsets in layout.ts. Kernel strings arrive raw; paths are joined here.
 */
import type { Base, RawEvent, RawFrame, RawMessage, RawTask } from './frames.js';
import * as L from './layout.js';
import { SYSCALLS } from './syscalls.js';
import { cString, cStrings, ipString, joinPath, walkedPath } from './text.js';
import type { StructLayout } from './layout.js';

export class WireError extends Error {
  override name = 'WireError';
}

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

const syscallName = (n: number): string => SYSCALLS[n] ?? `syscall-${n}`;

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

type Need = (layout: StructLayout) => Reader;

/** The loader's own messages: ready, a command's ack, counters, a file gate decision. */
function decodeMessage(type: number, need: Need, timeNs: number): RawMessage | undefined {
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
  }
  return undefined;
}

/** A process's life: exec, fork, exit. */
function decodeProcess(type: number, need: Need, bytes: Uint8Array, timeNs: number): RawEvent | undefined {
  switch (type) {
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
  }
  return undefined;
}

/** A process's signal and credential calls. */
function decodeCall(type: number, need: Need, bytes: Uint8Array, timeNs: number): RawEvent | undefined {
  switch (type) {
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
  return undefined;
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
  const need: Need = (layout) => {
    if (bytes.length < layout.size) throw new WireError(`${layout.name} frame of ${bytes.length} bytes`);
    return new Reader(view, 0, layout);
  };
  /* file and network calls first: nearly every frame is one */
  if (type in FILE_TYPES) {
    const r = need(L.File);
    return decodeFile(r, bytes, { timeNs, task: task(r) }, FILE_TYPES[type as keyof typeof FILE_TYPES]);
  }
  if (type in NET_TYPES) {
    const r = need(L.Net);
    return decodeNet(r, { timeNs, task: task(r) }, NET_TYPES[type as keyof typeof NET_TYPES]);
  }
  const frame =
    decodeProcess(type, need, bytes, timeNs) ??
    decodeCall(type, need, bytes, timeNs) ??
    decodeMessage(type, need, timeNs);
  if (frame) return frame;
  throw new WireError(`unknown frame type ${type}`);
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
