/**
 * Turns raw sensor frames into attributed events: session, process image,
 * lineage, wall-clock time, names for numbers. One instance per sensor.
 */
import type { RawEvent, RawTask } from '../sensor/frames.js';
import { Flag } from '../sensor/layout.js';
import type { CommonSchema, ProcessRecord, WardenEvent } from '../model/events.js';
import type { z } from 'zod';

type Common = Omit<z.infer<typeof CommonSchema>, 'id'>;
import { errnoName, familyName, openFlagNames, protocolName } from './names.js';
import { ProcessTable, readBootTag } from './process-table.js';
import { FdNames } from './fd-names.js';
import { LinkNames } from './link-names.js';

export interface PipelineSink {
  event(e: WardenEvent): void;
  process(p: ProcessRecord): void;
}

export interface Clock {
  bootNs: bigint;
  realtimeNs: bigint;
}

export class Pipeline {
  readonly processes: ProcessTable;
  private readonly sessions = new Map<number, string>();
  private readonly fds = new FdNames();
  private readonly links = new LinkNames();
  unattributed = 0;

  /** Microseconds to add to a CLOCK_BOOTTIME reading to get wall-clock time. */
  private bootToWallUs = 0;

  constructor(
    private readonly sink: PipelineSink,
    bootTag = readBootTag(),
  ) {
    this.processes = new ProcessTable(bootTag, (p) => sink.process(p));
  }

  /** Maps a session key (as given to the sensor) to its session id. */
  addSession(key: number, sessionId: string): void {
    this.sessions.set(key, sessionId);
  }

  removeSession(key: number): void {
    this.sessions.delete(key);
  }

  /** The session id a key stands for. */
  sessionOf(key: number): string | undefined {
    return this.sessions.get(key);
  }

  /** Set from the sensor's ready frame, before any event can arrive. */
  set clock(c: Clock) {
    this.bootToWallUs = Number((c.realtimeNs - c.bootNs) / 1000n);
  }

  private wallUs(timeNs: number): number {
    return this.bootToWallUs + Math.floor(timeNs / 1000);
  }

  handle(raw: RawEvent): void {
    const sessionId = this.sessions.get(raw.task.session);
    if (sessionId === undefined) {
      this.unattributed++;
      return;
    }
    const t = raw.task;
    const nowUs = this.wallUs(raw.timeNs);
    let proc = this.processes.current(t.pid, { ppid: t.ppid, comm: t.comm, uid: t.uid, nowUs });
    const common = (p: ProcessRecord): Common => commonOf(sessionId, t, nowUs, p);

    switch (raw.kind) {
      case 'exec': {
        proc = this.processes.exec(
          proc,
          { exe: raw.exe, argv: raw.argv, cwd: raw.cwd, comm: t.comm, uid: t.uid, ppid: t.ppid, timeNs: raw.timeNs },
          sessionId,
          nowUs,
        );
        this.emit(
          withFields(common(proc), {
            type: 'exec' as const,
            argv: raw.argv,
            argc: raw.argc,
            argvTruncated: (raw.truncated & Flag.TRUNC_ARGV) !== 0,
            cwd: raw.cwd,
          }),
        );
        return;
      }
      case 'fork': {
        const child = this.processes.fork(proc, raw.childPid, raw.childStartNs, sessionId, nowUs);
        this.emit(
          withFields(common(proc), { type: 'fork' as const, childPid: raw.childPid, childExecId: child.execId }),
        );
        return;
      }
      case 'exit': {
        const sig = raw.exitCode & 0x7f;
        const code = sig ? null : (raw.exitCode >> 8) & 0xff;
        const e = withFields(common(proc), { type: 'exit' as const, code, signal: sig || null });
        e.tid = t.pid;
        this.emit(e);
        this.processes.exit(t.pid, code, sig || null, nowUs);
        return;
      }
      case 'file':
        this.emit(fileEvent(raw, common(proc)));
        return;
      case 'net':
        this.emit(netEvent(raw, common(proc)));
        return;
      case 'signal':
        this.emit(signalEvent(raw, common(proc)));
        return;
      case 'cred':
        this.emit(credEvent(raw, common(proc)));
    }
  }

  /* every event passes the descriptor table and the session's links on its way out: they name
   * what a /proc/self/fd/N meant, and where a refused call through a link was going */
  private emit(e: WardenEvent): void {
    this.fds.see(e);
    this.links.see(e);
    this.sink.event(e);
  }
}

/**
 * Adds an event type's fields to a fresh common object. Not a spread: in this
 * V8 an object literal with fields after a spread costs ~6 µs, 1000x more.
 */
function withFields<T extends object>(common: Common, fields: T): Common & T {
  return Object.assign(common, fields);
}

/** What every event of a task says: its session, time, process and program. */
function commonOf(sessionId: string, t: RawTask, nowUs: number, p: ProcessRecord): Common {
  return {
    sessionId,
    time: new Date(nowUs / 1000).toISOString(),
    timeUs: nowUs,
    pid: t.pid,
    tid: t.tid,
    ppid: t.ppid,
    uid: t.uid,
    gid: t.gid,
    comm: t.comm,
    exe: p.exe,
    execId: p.execId,
    parentExecId: p.parentExecId,
  };
}

function signalEvent(raw: Extract<RawEvent, { kind: 'signal' }>, c: Common): WardenEvent {
  const error = errnoName(raw.result);
  return raw.type === 'kill'
    ? withFields(c, {
        type: 'kill' as const,
        target: raw.target,
        signal: raw.arg,
        result: raw.result,
        error,
        syscall: raw.syscall,
      })
    : withFields(c, {
        type: 'ptrace' as const,
        target: raw.target,
        request: raw.arg,
        result: raw.result,
        error,
        syscall: raw.syscall,
      });
}

function credEvent(raw: Extract<RawEvent, { kind: 'cred' }>, c: Common): WardenEvent {
  const error = errnoName(raw.result);
  const signed = (n: number): number => (n === 0xffffffff ? -1 : n);
  return raw.type === 'setuid'
    ? withFields(c, {
        type: 'setuid' as const,
        ids: raw.ids.map(signed),
        result: raw.result,
        error,
        syscall: raw.syscall,
      })
    : withFields(c, {
        type: 'capset' as const,
        effective: raw.capEffective.toString(16),
        permitted: raw.capPermitted.toString(16),
        inheritable: raw.capInheritable.toString(16),
        result: raw.result,
        error,
        syscall: raw.syscall,
      });
}

function fileEvent(raw: Extract<RawEvent, { kind: 'file' }>, c: Common): WardenEvent {
  const path = raw.path;
  const result = raw.result;
  const error = errnoName(raw.result);
  const syscall = raw.syscall;
  switch (raw.type) {
    case 'open': {
      const e = withFields(c, {
        type: 'open' as const,
        path,
        flags: raw.flags,
        flagNames: openFlagNames(raw.flags),
        mode: raw.mode,
        result,
        error,
        syscall,
      });
      if (raw.requestedPath !== path) Object.assign(e, { requestedPath: raw.requestedPath });
      return e;
    }
    case 'unlink':
      return withFields(c, {
        type: 'unlink' as const,
        path,
        dir: (raw.flagsEx & Flag.DIR) !== 0,
        result,
        error,
        syscall,
      });
    case 'rename':
      return withFields(c, {
        type: 'rename' as const,
        path,
        newPath: raw.newPath ?? '',
        flags: raw.flags,
        result,
        error,
        syscall,
      });
    case 'mkdir':
      return withFields(c, { type: 'mkdir' as const, path, mode: raw.mode, result, error, syscall });
    case 'link':
      return withFields(c, { type: 'link' as const, path, newPath: raw.newPath ?? '', result, error, syscall });
    case 'symlink':
      return withFields(c, { type: 'symlink' as const, target: path, path: raw.newPath ?? '', result, error, syscall });
    case 'mknod':
      return withFields(c, { type: 'mknod' as const, path, mode: raw.mode, result, error, syscall });
    case 'chmod':
      return withFields(c, { type: 'chmod' as const, path, mode: raw.mode, result, error, syscall });
    case 'truncate':
      return withFields(c, { type: 'truncate' as const, path, length: raw.length, result, error, syscall });
    case 'exec-failed':
      return withFields(c, { type: 'exec-failed' as const, path, result, error, syscall });
  }
}

function netEvent(raw: Extract<RawEvent, { kind: 'net' }>, c: Common): WardenEvent {
  const family = familyName(raw.family);
  const protocol = protocolName(raw.sockType, raw.protocol);
  const result = raw.result;
  const error = errnoName(raw.result);
  const syscall = raw.syscall;
  const { daddr, dport, laddr, lport } = raw;
  switch (raw.type) {
    case 'connect':
      return withFields(c, { type: 'connect' as const, family, protocol, daddr, dport, result, error, syscall });
    case 'send':
      return withFields(c, {
        type: 'send' as const,
        family,
        protocol,
        daddr,
        dport,
        bytes: raw.bytes,
        result,
        error,
        syscall,
      });
    case 'bind':
      return withFields(c, { type: 'bind' as const, family, protocol, laddr, lport, result, error, syscall });
    case 'listen':
      return withFields(c, {
        type: 'listen' as const,
        family,
        protocol,
        laddr,
        lport,
        backlog: raw.backlog,
        result,
        error,
        syscall,
      });
    case 'accept':
      return withFields(c, {
        type: 'accept' as const,
        family,
        protocol,
        daddr,
        dport,
        laddr,
        lport,
        result,
        error,
        syscall,
      });
  }
}
