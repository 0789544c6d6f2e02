/** The sensor host: one sensor, pipeline and store that every session on it shares. */
import type { Config } from '../config.js';
import { sessionLevel } from '../enforce/cgroup.js';
import { Pipeline } from '../pipeline/pipeline.js';
import { GATE_RULE_DEADLINE } from '../sensor/layout.js';
import { Sensor } from '../sensor/sensor.js';
import { openStore } from '../session/reconcile.js';
import type { Store } from '../store/store.js';
import type { SessionHost, SessionOptions } from './session-options.js';
import { SessionRun } from './session-run.js';

/**
 * What every session on this host shares: one sensor, one pipeline, one store.
 * `warden run` standalone brings up a host for its one session; the daemon
 * keeps one up for every session that registers with it.
 */
export class SensorHost implements SessionHost {
  readonly store: Store;
  readonly pipeline: Pipeline;
  readonly sensor: Sensor;
  private readonly runs = new Map<string, SessionRun>();
  /** why no new session can be watched (the sensor died) */
  failed: string | undefined;
  /** settles when the sensor died, after every session was held: why */
  readonly failure: Promise<string>;
  private fail: (why: string) => void = () => undefined;

  constructor(
    readonly cfg: Config,
    verbose?: boolean,
  ) {
    this.failure = new Promise((resolve) => (this.fail = resolve));
    /* stored, each event goes on to its session's export */
    this.store = openStore(cfg.stateDir, {
      onStored: (events) => {
        for (const e of events) this.runs.get(e.sessionId)?.stored(e);
      },
    });
    this.pipeline = new Pipeline({
      event: (e) => this.runs.get(e.sessionId)?.handle(e),
      process: (p) => this.store.putProcess(p),
    });
    this.sensor = new Sensor({
      bin: cfg.sensorBin,
      sessionLevel: sessionLevel(),
      ringbufMb: cfg.ringbufMb,
      gateDeadlineMs: cfg.gateDeadlineMs,
      verbose,
      onEvent: (raw) => this.pipeline.handle(raw),
      onGate: (d) =>
        this.runs
          .get(this.pipeline.sessionOf(d.session) ?? '')
          ?.enforcer?.gateDecided(d.tid, d.latencyNs, d.rule === GATE_RULE_DEADLINE ? cfg.gateDeadlineMs : undefined),
      /* monitoring and the file gate died with it: no session may go on unwatched */
      onExit: () => {
        this.failed = `the sensor died (${this.sensor.lastError() || 'no message'})`;
        for (const run of this.runs.values()) run.unwatched('the sensor died: the session would go on unwatched');
        this.fail(this.failed);
      },
    });
  }

  async start(): Promise<void> {
    this.pipeline.clock = await this.sensor.start().catch((e: Error) => {
      throw new Error(
        `${e.message}\n  Warden needs BPF (root, kernel BTF, tracing programs): warden doctor says what this machine allows`,
      );
    });
  }

  /** A new session on this host: `open()` it, then `cleanup()` it whatever happens. */
  session(cfg: Config, opts: SessionOptions): SessionRun {
    if (this.failed) throw new Error(`cannot watch a new session: ${this.failed}`);
    this.store.applyRetention(cfg.retentionDays); /* a long-lived host ages its store out as sessions come */
    const run = new SessionRun(this, cfg, opts);
    this.runs.set(run.id, run);
    return run;
  }

  forget(sessionId: string): void {
    this.runs.delete(sessionId);
  }

  /** Events of a session on this host stored so far; undefined when it is not one of this host's. */
  storedEvents(sessionId: string): number | undefined {
    return this.runs.get(sessionId)?.storedEvents;
  }

  get sessions(): SessionRun[] {
    return [...this.runs.values()];
  }

  /** Warden's own processes, which no agent may signal or trace. */
  wardenPids(): number[] {
    return [process.pid, ...(this.sensor.pid ? [this.sensor.pid] : [])];
  }

  close(): void {
    this.sensor.stop();
    this.store.close();
  }
}
