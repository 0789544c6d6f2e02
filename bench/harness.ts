/**
 * Benchmark plumbing: a live sensor with one tracked session cgroup, a
 * pipeline into a throwaway store, and runners for a command inside or
 * outside that session.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Config } from '../src/config.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import { Sensor } from '../src/sensor/sensor.js';
import { createSessionCgroup, killCgroup, removeCgroup, type SessionCgroup } from '../src/enforce/cgroup.js';
import { Store } from '../src/store/store.js';
import type { CompiledPolicy } from '../src/policy/compile.js';
import { installGate } from '../src/enforce/gate.js';
import { pinDir, PIN_ROOT, SessionNetPolicy } from '../src/enforce/network.js';

const run = promisify(execFile);

export interface LoadResult {
  op: string;
  n: number;
  errors: number;
  total_s: number;
  mean_ns: number;
  p50_ns: number;
  p90_ns: number;
  p99_ns: number;
  p999_ns: number;
}

/** Runs loadgen (directly, or through warden-launch to run it inside a session). */
export async function loadgen(bin: string, args: string[]): Promise<LoadResult> {
  const { stdout } = await run(bin, args, { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as LoadResult;
}

export class BenchSession {
  readonly sensor: Sensor;
  readonly store: Store;
  readonly pipeline: Pipeline;
  readonly cg: SessionCgroup;
  private readonly stateDir: string;
  stored = 0;

  private constructor(cfg: Config, ringbufMb: number, onGate: (latencyNs: number) => void) {
    this.stateDir = mkdtempSync(join(tmpdir(), 'warden-bench-'));
    this.store = Store.open(this.stateDir, { onStored: (events) => (this.stored += events.length) });
    this.cg = createSessionCgroup(`bench-${process.pid}-${Date.now().toString(36)}`);
    this.store.createSession({
      id: 'bench',
      name: 'bench',
      command: [],
      cwd: '/',
      cgroup: this.cg.path,
      cgroupId: String(this.cg.id),
      status: 'running',
      startedUs: Date.now() * 1000,
      rootPid: null,
    });
    this.pipeline = new Pipeline({ event: (e) => this.store.addEvent(e), process: (p) => this.store.putProcess(p) });
    this.sensor = new Sensor({
      bin: cfg.sensorBin,
      sessionLevel: this.cg.level,
      ringbufMb,
      onEvent: (raw) => this.pipeline.handle(raw),
      onGate: (d) => onGate(d.latencyNs),
    });
  }

  /** gate decision latencies (ns) reported by the sensor */
  readonly gateLatencies: number[] = [];
  private net: SessionNetPolicy | undefined;

  static async start(cfg: Config, ringbufMb = 64, policy?: CompiledPolicy): Promise<BenchSession> {
    const s = new BenchSession(cfg, ringbufMb, (ns) => s.gateLatencies.push(ns));
    s.pipeline.clock = await s.sensor.start();
    s.pipeline.addSession(1, 'bench');
    await s.sensor.track(s.cg.id, 1);
    if (policy) {
      s.net = new SessionNetPolicy(s.sensor, 1, policy);
      await s.net.install();
      mkdirSync(PIN_ROOT, { recursive: true });
      await s.sensor.netAttach(1, s.cg.path, pinDir(`bench-${process.pid}`));
      await installGate(s.sensor, 1, policy);
    }
    return s;
  }

  /** Delivers everything the kernel produced so far and writes it to the store. */
  async drain(): Promise<void> {
    await this.sensor.barrier();
    this.store.flush();
  }

  async stop(): Promise<void> {
    if (this.net) {
      await this.sensor.netDetach(1).catch(() => undefined);
      await this.sensor.gateClear(1).catch(() => undefined);
    }
    await this.sensor.untrack(this.cg.id).catch(() => undefined);
    this.sensor.stop();
    await this.sensor.waitExit();
    await killCgroup(this.cg.path).catch(() => false);
    removeCgroup(this.cg.path);
    this.store.close();
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export const median = (values: number[]): number => percentile(values, 50);
