/**
 * Turns raw sensor frames into attributed events: session, process image,
 * lineage, wall-clock time, names for numbers. One instance per sensor.
 */
import type { RawEvent } from '../sensor/wire.js';
import { Flag } from '../sensor/layout.js';
import type { CommonSchema, ProcessRecord, WardenEvent } from './events.js';
import type { z } from 'zod';

type Common = Omit<z.infer<typeof CommonSchema>, 'id'>;
import { errnoName, familyName, openFlagNames, protocolName } from './names.js';
import { ProcessTable, readBootTag } from './process-table.js';

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
  unattributed = 0;

  /** Set from the sensor's ready frame, before any event can arrive. */
  clock: Clock = { bootNs: 0n, realtimeNs: 0n };

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

  private wallUs(timeNs: bigint): number {
    return Number((this.clock.realtimeNs - this.clock.bootNs + timeNs) / 1000n);
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
    const common = (p: ProcessRecord): Common => ({
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
    });

    switch (raw.kind) {
      case 'exec': {
        proc = this.processes.exec(
          proc,
          { exe: raw.exe, argv: raw.argv, cwd: raw.cwd, comm: t.comm, uid: t.uid, ppid: t.ppid, timeNs: raw.timeNs },
          sessionId,
          nowUs,
        );
        this.sink.event({
          ...common(proc),
          type: 'exec',
          argv: raw.argv,
          argc: raw.argc,
          argvTruncated: (raw.truncated & Flag.TRUNC_ARGV) !== 0,
          cwd: raw.cwd,
        });
        return;
      }
      case 'fork': {
        const child = this.processes.fork(proc, raw.childPid, raw.childStartNs, sessionId, nowUs);
        this.sink.event({ ...common(proc), type: 'fork', childPid: raw.childPid, childExecId: child.execId });
        return;
      }
      case 'exit': {
        const sig = raw.exitCode & 0x7f;
        const code = sig ? null : (raw.exitCode >> 8) & 0xff;
        this.sink.event({ ...common(proc), tid: t.pid, type: 'exit', code, signal: sig || null });
        this.processes.exit(t.pid, code, sig || null, nowUs);
        return;
      }
      case 'file':
        this.sink.event(this.fileEvent(raw, common(proc)));
        return;
      case 'net':
        this.sink.event(this.netEvent(raw, common(proc)));
        return;
      case 'signal': {
        const r = { result: raw.result, error: errnoName(raw.result), syscall: raw.syscall };
        this.sink.event(
          raw.type === 'kill'
            ? { ...common(proc), type: 'kill', target: raw.target, signal: raw.arg, ...r }
            : { ...common(proc), type: 'ptrace', target: raw.target, request: raw.arg, ...r },
        );
        return;
      }
      case 'cred': {
        const r = { result: raw.result, error: errnoName(raw.result), syscall: raw.syscall };
        const signed = (n: number): number => (n === 0xffffffff ? -1 : n);
        this.sink.event(
          raw.type === 'setuid'
            ? { ...common(proc), type: 'setuid', ids: raw.ids.map(signed), ...r }
            : {
                ...common(proc),
                type: 'capset',
                effective: raw.capEffective.toString(16),
                permitted: raw.capPermitted.toString(16),
                inheritable: raw.capInheritable.toString(16),
                ...r,
              },
        );
      }
    }
  }

  private fileEvent(raw: Extract<RawEvent, { kind: 'file' }>, common: Common): WardenEvent {
    const base = { ...common, path: raw.path, result: raw.result, error: errnoName(raw.result), syscall: raw.syscall };
    switch (raw.type) {
      case 'open':
        return {
          ...base,
          type: 'open',
          ...(raw.requestedPath !== raw.path ? { requestedPath: raw.requestedPath } : {}),
          flags: raw.flags,
          flagNames: openFlagNames(raw.flags),
          mode: raw.mode,
        };
      case 'unlink':
        return { ...base, type: 'unlink', dir: (raw.flagsEx & Flag.DIR) !== 0 };
      case 'rename':
        return { ...base, type: 'rename', newPath: raw.newPath ?? '', flags: raw.flags };
      case 'mkdir':
        return { ...base, type: 'mkdir', mode: raw.mode };
      case 'chmod':
        return { ...base, type: 'chmod', mode: raw.mode };
      case 'truncate':
        return { ...base, type: 'truncate', length: raw.length };
    }
  }

  private netEvent(raw: Extract<RawEvent, { kind: 'net' }>, common: Common): WardenEvent {
    const base = {
      ...common,
      family: familyName(raw.family),
      protocol: protocolName(raw.sockType, raw.protocol),
      result: raw.result,
      error: errnoName(raw.result),
      syscall: raw.syscall,
    };
    const remote = { daddr: raw.daddr, dport: raw.dport };
    const local = { laddr: raw.laddr, lport: raw.lport };
    switch (raw.type) {
      case 'connect':
        return { ...base, type: 'connect', ...remote };
      case 'send':
        return { ...base, type: 'send', ...remote, bytes: raw.bytes };
      case 'bind':
        return { ...base, type: 'bind', ...local };
      case 'listen':
        return { ...base, type: 'listen', ...local, backlog: raw.backlog };
      case 'accept':
        return { ...base, type: 'accept', ...remote, ...local };
    }
  }
}
