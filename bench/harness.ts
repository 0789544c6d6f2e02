/**
 * Benchmark plumbing: a session on a live sensor host (Warden's own composition root, host/),
 * its events through the whole chain into a throwaway store, and runners for a command inside or
 * outside that session; a `warden daemon` of the bench's own.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Config } from '../src/config.js';
import type { SessionCgroup } from '../src/enforce/cgroup.js';
import { SensorHost } from '../src/host/sensor-host.js';
import type { SessionRun } from '../src/host/session-run.js';
import type { CompiledPolicy } from '../src/policy/compile.js';
import type { Sensor } from '../src/sensor/sensor.js';

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

/**
 * One session on a sensor host of its own, set up as `warden run` sets one up (host/: the sensor,
 * pipeline and store it shares, the session's cgroup, policy, correlator, judge, detectors), with
 * no agent: a benchmark runs its load in the session's cgroup itself, through warden-launch.
 */
export class BenchSession {
  private constructor(
    private readonly host: SensorHost,
    private readonly run: SessionRun,
    private readonly stateDir: string,
  ) {}

  get sensor(): Sensor {
    return this.host.sensor;
  }

  get cg(): SessionCgroup {
    return this.run.cg;
  }

  /** the session's events in the store so far */
  get stored(): number {
    return this.host.storedEvents(this.run.id) ?? 0;
  }

  /** how long the file gate took to refuse each open it refused, as the session recorded it (ns) */
  get gateLatencies(): number[] {
    return this.host.store
      .eventsOf(this.run.id, { types: ['open'] })
      .flatMap((e) =>
        e.decision?.mechanism === 'fanotify' && e.decision.latencyUs ? [e.decision.latencyUs * 1000] : [],
      );
  }

  static async start(cfg: Config, ringbufMb = 64, policy?: CompiledPolicy): Promise<BenchSession> {
    const stateDir = mkdtempSync(join(tmpdir(), 'warden-bench-'));
    const c: Config = { ...cfg, stateDir, ringbufMb };
    const host = new SensorHost(c);
    try {
      await host.start();
      const run = host.session(c, {
        command: ['bench'],
        name: 'bench',
        cwd: '/',
        ...(policy ? { enforcement: { policy, workspace: policy.workspace } } : {}),
      });
      await run.open();
      run.started(undefined);
      return new BenchSession(host, run, stateDir);
    } catch (e) {
      host.close();
      rmSync(stateDir, { recursive: true, force: true });
      throw e;
    }
  }

  /** Delivers everything the kernel produced so far and writes it to the store. */
  async drain(): Promise<void> {
    await this.sensor.barrier();
    this.host.store.flush();
  }

  async stop(): Promise<void> {
    try {
      await this.run.finish({ code: 0, signal: null });
    } finally {
      await this.run.cleanup();
      this.host.close();
      await this.sensor.waitExit();
      rmSync(this.stateDir, { recursive: true, force: true });
    }
  }
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export const median = (values: number[]): number => percentile(values, 50);

/** `warden daemon` with `env` (its state directory in WARDEN_STATE_DIR), once its record is written. */
export async function startDaemon(cfg: Config, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(join(cfg.root, 'bin', 'warden'), ['daemon', '--listen', '127.0.0.1:0'], { env, stdio: 'ignore' });
  const info = join(env.WARDEN_STATE_DIR ?? '/var/lib/warden', 'run', 'daemon.json');
  for (let i = 0; i < 400 && !existsSync(info) && child.exitCode === null; i++)
    await new Promise((r) => setTimeout(r, 50));
  if (!existsSync(info)) {
    child.kill('SIGTERM');
    throw new Error('the daemon did not come up');
  }
  return child;
}

export async function stopDaemon(daemon: ChildProcess): Promise<void> {
  if (daemon.exitCode !== null || daemon.signalCode !== null) return;
  const gone = new Promise((r) => daemon.once('exit', r));
  daemon.kill('SIGTERM');
  await gone;
}
