/**
 * Runs the warden-sensor loader and speaks its protocol: frames in from its
 * stdout, command frames out on its stdin. Acks come back in order, after the
 * loader has drained the ring buffer, so awaiting a command is a barrier.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import * as L from './layout.js';
import { FrameType } from './layout.js';
import { decodeFrame, FrameSplitter } from './wire.js';
import type { GateCounters, RawEvent, RawMessage } from './frames.js';
import { commandFrame, encodeCommand } from './encode.js';
import { adopt, loaderArgs } from './prestart.js';

export class SensorError extends Error {
  override name = 'SensorError';
}

export interface SensorStats {
  events: bigint;
  drops: bigint;
  truncations: bigint;
  readErrors: bigint;
  gate: GateCounters;
}

const NO_GATE: GateCounters = {
  answered: 0n,
  outsiders: 0n,
  denied: 0n,
  lateDenied: 0n,
  lateOutsiders: 0n,
  maxWaitNs: 0n,
  maxOutsiderNs: 0n,
  queueDrops: 0n,
  deadlineMs: 0,
  realtime: false,
};

export interface SensorInfo {
  programs: number;
  /** the BPF-LSM programs loaded (this kernel allows BPF-LSM) */
  lsm: boolean;
  /** cgroup connect_unix/sendmsg_unix programs (kernel 6.7+): pathname Unix sockets limited */
  unixHooks: boolean;
  ringbufBytes: number;
  bootNs: bigint;
  realtimeNs: bigint;
}

export interface SensorOptions {
  bin: string;
  sessionLevel: number;
  ringbufMb: number;
  /** the file gate's decision deadline */
  gateDeadlineMs?: number;
  onEvent: (e: RawEvent) => void;
  /** a file gate decision (denials only) */
  onGate?: (d: Extract<RawMessage, { kind: 'gate' }>) => void;
  /** the loader exited (after start) */
  onExit?: () => void;
  verbose?: boolean;
}

type Pending = { resolve: (status: number) => void; reject: (e: Error) => void };

/* Long enough for a loader to drain a full ring buffer onto a busy pipeline before it acks. */
const COMMAND_TIMEOUT_MS = 60_000;

export class Sensor {
  private proc: ChildProcessByStdio<Writable, Readable, Readable> | undefined;
  private readonly splitter = new FrameSplitter();
  private readonly pending = new Map<bigint, Pending>();
  private nextCmd = 1n;
  private stderr = '';
  private exited = false;
  stats: SensorStats = { events: 0n, drops: 0n, truncations: 0n, readErrors: 0n, gate: NO_GATE };
  info: SensorInfo | undefined;
  decodeErrors = 0;

  constructor(private readonly opts: SensorOptions) {}

  /** Starts the loader and resolves once its programs are attached. */
  async start(timeoutMs = 20000): Promise<SensorInfo> {
    if (!existsSync(this.opts.bin)) {
      throw new SensorError(`sensor not built: ${this.opts.bin} is missing (run: make -C sensor)`);
    }
    const args = loaderArgs(this.opts);
    const proc = adopt(this.opts.bin, args) ?? spawn(this.opts.bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stdin.on('error', () => undefined); /* EPIPE after the loader died: reported via exit */
    proc.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-8192);
      if (this.opts.verbose) process.stderr.write(d);
    });
    return new Promise<SensorInfo>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new SensorError(`sensor did not become ready within ${timeoutMs} ms`));
        this.kill();
      }, timeoutMs);
      proc.on('exit', (code, signal) => {
        this.exited = true;
        if (this.info) this.opts.onExit?.();
        clearTimeout(timer);
        const why = new SensorError(`sensor exited (${signal ?? `code ${code}`}): ${this.lastError() || 'no message'}`);
        for (const p of this.pending.values()) p.reject(why);
        this.pending.clear();
        if (!this.info) reject(why);
      });
      proc.on('error', (e) => {
        clearTimeout(timer);
        reject(new SensorError(`cannot start sensor: ${e.message}`));
      });
      proc.stdout.on('data', (chunk: Buffer) => {
        for (const bytes of this.splitter.push(chunk)) {
          let frame;
          try {
            frame = decodeFrame(bytes);
          } catch {
            this.decodeErrors++;
            continue;
          }
          if ('task' in frame) this.opts.onEvent(frame);
          else if (this.onMessage(frame)) {
            clearTimeout(timer);
            resolve(this.info as SensorInfo);
          }
        }
      });
    });
  }

  /** The loader's pid while it runs. */
  get pid(): number | undefined {
    return this.exited ? undefined : this.proc?.pid;
  }

  /** The loader's last stderr line that says what went wrong. */
  lastError(): string {
    const lines = this.stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('libbpf: '));
    return lines.slice(-3).join(' | ');
  }

  /** Returns true when the message is the ready frame. */
  private onMessage(m: RawMessage): boolean {
    switch (m.kind) {
      case 'ready':
        this.info = {
          programs: m.programs,
          lsm: m.lsm,
          unixHooks: m.unixHooks,
          ringbufBytes: m.ringbufBytes,
          bootNs: m.bootNs,
          realtimeNs: m.realtimeNs,
        };
        return true;
      case 'ack': {
        const p = this.pending.get(m.cmdId);
        this.pending.delete(m.cmdId);
        p?.resolve(m.status);
        return false;
      }
      case 'stats':
        this.stats = {
          events: m.events,
          drops: m.drops,
          truncations: m.truncations,
          readErrors: m.readErrors,
          gate: m.gate,
        };
        return false;
      case 'gate':
        this.opts.onGate?.(m);
        return false;
    }
  }

  /**
   * Sends one command and resolves with its status. Bounded: a loader that does
   * not answer within COMMAND_TIMEOUT_MS (stopped, or wedged) is an error, never a hang.
   */
  private send(frame: (id: bigint) => Uint8Array): Promise<number> {
    const proc = this.proc;
    if (!proc || this.exited) return Promise.reject(new SensorError('sensor is not running'));
    const id = this.nextCmd++;
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SensorError(`sensor did not answer a command within ${COMMAND_TIMEOUT_MS / 1000} s`));
      }, COMMAND_TIMEOUT_MS);
      timer.unref();
      const done = (): void => clearTimeout(timer);
      this.pending.set(id, {
        resolve: (status) => (done(), resolve(status)),
        reject: (e) => (done(), reject(e)),
      });
      proc.stdin.write(frame(id));
    });
  }

  private command(type: number, cgroupId: bigint, session: number): Promise<number> {
    return this.send((id) => encodeCommand(type, id, cgroupId, session));
  }

  /** Creates or replaces (or with `remove`, deletes) one entry of a policy map. */
  async mapUpdate(map: number, key: Uint8Array, value: Uint8Array, remove = false): Promise<void> {
    const status = await this.send(
      (id) =>
        commandFrame(L.CmdMap, FrameType.CMD_MAP_UPDATE, id)
          .set('map', map)
          .set('op', remove ? 1 : 0)
          .put('key', key)
          .put('value', value).bytes,
    );
    if (status !== 0 && !(remove && status === -2)) throw new SensorError(`map ${map} update: error ${-status}`);
  }

  /** Attaches the network programs to a session cgroup, links pinned under pinDir. */
  async netAttach(session: number, cgroup: string, pinDir: string): Promise<void> {
    const enc = new TextEncoder();
    const status = await this.send(
      (id) =>
        commandFrame(L.CmdAttach, FrameType.CMD_NET_ATTACH, id)
          .set('session', session)
          .put('cgroup', enc.encode(cgroup + '\0'))
          .put('pin_dir', enc.encode(pinDir + '\0')).bytes,
    );
    if (status !== 0) throw new SensorError(`attach network programs to ${cgroup}: error ${-status}`);
  }

  /** Adds a file gate rule: opens of `path` (prefix or pattern) for `access` are refused. */
  async gateAdd(rule: {
    session: number;
    access: number;
    rule: number;
    path: string;
    base: string;
    depth: number;
  }): Promise<void> {
    const enc = new TextEncoder();
    const status = await this.send(
      (id) =>
        commandFrame(L.CmdGate, FrameType.CMD_GATE_ADD, id)
          .set('session', rule.session)
          .set('access', rule.access)
          .set('rule', rule.rule)
          .set('depth', rule.depth)
          .put('path', enc.encode(rule.path + '\0'))
          .put('base', enc.encode(rule.base + '\0')).bytes,
    );
    if (status === -28)
      throw new SensorError(
        `file gate rule for ${rule.path}: the gate is full (4,096 marked directories, 1,024 rules across sessions)`,
      );
    if (status !== 0) throw new SensorError(`file gate rule for ${rule.path}: error ${-status}`);
  }

  async gateClear(session: number): Promise<void> {
    await this.send((id) => commandFrame(L.CmdGate, FrameType.CMD_GATE_CLEAR, id).set('session', session).bytes);
  }

  async netDetach(session: number): Promise<void> {
    await this.send((id) => commandFrame(L.CmdAttach, FrameType.CMD_NET_DETACH, id).set('session', session).bytes);
  }

  async track(cgroupId: bigint, session: number): Promise<void> {
    const status = await this.command(FrameType.CMD_TRACK, cgroupId, session);
    if (status !== 0) throw new SensorError(`track cgroup ${cgroupId}: error ${-status}`);
  }

  async untrack(cgroupId: bigint): Promise<void> {
    await this.command(FrameType.CMD_UNTRACK, cgroupId, 0);
  }

  /** Waits until every event produced so far has been delivered, and refreshes stats. */
  async barrier(): Promise<void> {
    await this.command(FrameType.CMD_STATS, 0n, 0);
  }

  /** Ends the loader: closes its stdin (it exits on EOF); callers need not wait for it. */
  stop(): void {
    const proc = this.proc;
    if (!proc) return;
    proc.stdin.end();
    proc.unref();
    for (const s of [proc.stdin, proc.stdout, proc.stderr]) (s as unknown as Socket).unref();
  }

  kill(): void {
    if (this.proc && !this.exited) this.proc.kill('SIGTERM');
  }

  /** Resolves when the loader has exited; keeps Node alive until then, even after stop(). */
  waitExit(): Promise<void> {
    const proc = this.proc;
    if (!proc || this.exited) return Promise.resolve();
    proc.ref();
    return new Promise((resolve) => proc.once('exit', () => resolve()));
  }
}
