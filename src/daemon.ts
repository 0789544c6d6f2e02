/**
 * The composition root: the only module that wires sensor, pipeline,
 * enforcement, session cgroups and store together. A SensorHost is one
 * sensor, pipeline and store; a SessionRun is one session on it. `runSession`
 * is `warden run` standalone (a host of its own); `serveControl` is the
 * daemon hosting the sessions that `warden run` registers.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  watch,
  writeFileSync,
  type FSWatcher,
  type WriteStream,
} from 'node:fs';
import { constants, homedir } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import { basename, join } from 'node:path';
import {
  agentEnvironment,
  appSocket,
  controlSocket,
  reloadRequest,
  reloadResult,
  runDir,
  tokenFile,
  type Config,
} from './config.js';
import { dnsEventRecorder } from './enforce/dns-events.js';
import { buildFloor, gatedSelfProtection, sealPlan } from './enforce/floor.js';
import { DeniedPrograms } from './enforce/exec-content.js';
import { Judge, type SelfProtection } from './enforce/judge.js';
import { providerRules, removePins } from './enforce/network.js';
import { SessionEnforcer } from './enforce/session-enforcer.js';
import { SessionPolicy } from './enforce/session-policy.js';
import { Pipeline } from './pipeline/pipeline.js';
import { compilePolicy, type CompiledPolicy } from './policy/compile.js';
import { parseNetTarget, type NetTarget } from './policy/schema.js';
import { loadPolicy, PolicyError } from './policy/load.js';
import { GATE_RULE_DEADLINE } from './sensor/layout.js';
import { Sensor } from './sensor/sensor.js';
import { describePid, QUARANTINED_STATUS, quarantineNotice, SignalRelay, startAgent } from './session/agent.js';
import {
  cgroupPids,
  isSessionInit,
  createSessionCgroup,
  findCgroup2Mount,
  freezeCgroup,
  killCgroup,
  levelOf,
  wardenParent,
  removeCgroup,
  type SessionCgroup,
} from './enforce/cgroup.js';
import { Store, type Session } from './store/store.js';
import { openStore, processIdentity } from './session/reconcile.js';
import { readCommitted, readFileStart } from './safe-read.js';
import { LlmProxy, PREFIX } from './applayer/llm/proxy.js';
import { AppLayerService } from './applayer/service.js';
import { throughProxy } from './applayer/agents.js';
import { serveSocket, type Peer } from './applayer/socket.js';
import { AgentRuntimeProfile } from './pipeline/agent-runtime.js';
import { Correlator, isLaunchersOwn } from './pipeline/correlate.js';
import type { WardenEvent } from './model/events.js';
import { BUILTIN_DETECTORS } from './detect/builtin.js';
import { DetectionEngine, type Detection } from './detect/engine.js';
import { originSummary, traceEvent } from './detect/provenance.js';
import { reviewSession } from './detect/session-review.js';
import { learntUpkeep } from './detect/baseline.js';
import type { Server } from 'node:net';
import { ExitSchema, OpenRequestSchema, StartedSchema, type LaunchSpec } from './session/control.js';

export { SessionAborted } from './session/agent.js';

export function newSessionId(): string {
  return Date.now().toString(36) + randomBytes(3).toString('hex');
}

/** Paths no agent may write, whatever its policy: Warden itself, and the kernel's control files. */
export function selfProtectedPaths(cfg: Config): string[] {
  return [cfg.root, cfg.stateDir, '/proc', '/sys'];
}

/** Warden's files no agent may even read: the daemon's API token. */
export function selfSecretPaths(cfg: Config): string[] {
  return [tokenFile(cfg)];
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };

/**
 * What every session on this host shares: one sensor, one pipeline, one store.
 * `warden run` standalone brings up a host for its one session; the daemon
 * keeps one up for every session that registers with it.
 */
export class SensorHost {
  readonly store: Store;
  readonly pipeline: Pipeline;
  readonly sensor: Sensor;
  private readonly runs = new Map<string, SessionRun>();
  /** why no new session can be watched (the sensor died) */
  failed: string | undefined;
  /** called when the sensor died, after every session was held */
  onFailed: ((why: string) => void) | undefined;

  constructor(
    readonly cfg: Config,
    verbose?: boolean,
  ) {
    this.store = openStore(cfg.stateDir);
    this.store.onStored = (events) => {
      for (const e of events) this.runs.get(e.sessionId)?.stored(e);
    };
    this.pipeline = new Pipeline({
      event: (e) => this.runs.get(e.sessionId)?.handle(e),
      process: (p) => this.store.putProcess(p),
    });
    const mount = findCgroup2Mount();
    this.sensor = new Sensor({
      bin: cfg.sensorBin,
      sessionLevel: levelOf(mount, wardenParent(mount)) + 1,
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
        this.onFailed?.(this.failed);
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

  forget(run: SessionRun): void {
    this.runs.delete(run.id);
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

export interface SessionOptions {
  command: string[];
  name?: string;
  /** the agent role, for baselines (default: the command's program name) */
  agent?: string;
  /** where the command runs */
  cwd: string;
  /** also write each event as a JSON line to this file */
  jsonEvents?: string;
  /** leave processes that outlive the session running (default: kill them) */
  keepLingering?: boolean;
  /**
   * Apply a launch floor: the policy's limits (null: none, monitor only) plus
   * Warden's self-protection. Absent: the command runs with no floor at all.
   */
  enforcement?: { policy: CompiledPolicy | null; workspace?: string };
  verbose?: boolean;
  /** a hosted session's `warden run`, protected like Warden's own processes */
  clientPid?: number;
}

/** One session's life on a host: set-up, the agent's actions as they come, and an end that leaves nothing behind. */
class SessionRun {
  readonly id = newSessionId();
  readonly cg: SessionCgroup;
  readonly policy: SessionPolicy;
  readonly enforcer: SessionEnforcer | undefined;
  /* pending until the agent exits (ended) or is held frozen (quarantined); pending at the end means failed */
  outcome: 'pending' | 'ended' | 'quarantined' = 'pending';
  /** the agent exited: the recording of its end, under way */
  finishing: Promise<RunResult> | undefined;
  private hold: (reason: string) => void = () => undefined;
  readonly held = new Promise<string>((resolve) => (this.hold = resolve));
  private jsonOut: WriteStream | undefined;
  /* the launch floor is built from the session's first policy (a reload cannot change it):
   * that decides, once, which of Warden's paths the file gate must guard instead */
  private readonly gatedSelf: string[];
  private reloadWatch: FSWatcher | undefined;
  readonly app: AppLayerService;
  readonly correlator: Correlator;
  readonly detection: DetectionEngine;
  readonly proxy: LlmProxy;
  private proxyPort = 0;
  private socket: Server | undefined;
  private readonly store: Store;
  private readonly sensor: Sensor;
  /* the host's loss counters when the session began: its own loss is what was added since */
  private readonly lostBefore: number;

  constructor(
    readonly host: SensorHost,
    readonly cfg: Config,
    readonly opts: SessionOptions,
  ) {
    this.store = host.store;
    this.sensor = host.sensor;
    this.lostBefore = this.hostLost();
    this.gatedSelf = gatedSelfProtection({
      policy: opts.enforcement?.policy ?? null,
      protect: selfProtectedPaths(cfg),
    });
    this.cg = createSessionCgroup(this.id, findCgroup2Mount());
    if (opts.jsonEvents) this.jsonOut = createWriteStream(opts.jsonEvents, { flags: 'w' });
    this.correlator = new Correlator({
      namesOf: (addr) => this.policy.namesOf(addr),
      /* what this agent is known to run by itself, learnt from its benign sessions (warden baseline learn) */
      profile: new AgentRuntimeProfile(homedir(), learntUpkeep(this.store.baselines.get(this.agentName()))),
    });
    const workspace = opts.enforcement?.workspace ?? opts.cwd;
    this.app = new AppLayerService({
      sessionId: this.id,
      records: this.store.app,
      policy: () => this.policy.policy,
      cwd: workspace,
      listener: this.correlator,
    });
    this.correlator.onFinding = (f) => this.raise(f);
    this.detection = new DetectionEngine(
      BUILTIN_DETECTORS,
      {
        wardenPids: () => this.wardenPids(),
        wardenPaths: selfProtectedPaths(cfg).filter((p) => p !== '/proc' && p !== '/sys'),
        workspace: opts.enforcement?.workspace ?? null,
        readFile: readFileStart,
        readCommitted: (p) => {
          const ws = opts.enforcement?.workspace;
          return ws ? readCommitted(ws, p) : undefined;
        },
      },
      (id) => this.policy.policy?.detectionAction(id) ?? 'alert',
    );
    this.detection.onDetection = (d) => {
      const last = this.raise(d, (ev) => ({
        tags: d.tags,
        action: d.action,
        provenance: ev?.id ? originSummary(traceEvent(this.store, ev.id, 2)) : [],
      }));
      if (last && d.action !== 'alert' && this.enforcer) this.enforcer.act(last, `detect.${d.detector}`, d.action);
    };
    this.proxy = new LlmProxy({ upstreams: cfg.llmUpstreams, hooks: this.app.proxyHooks });
    this.policy = new SessionPolicy({
      cfg,
      gatedSelf: this.gatedSelf,
      secretSelf: selfSecretPaths(cfg),
      sensor: this.sensor,
      pipeline: host.pipeline,
      sessionId: this.id,
      cgroup: this.cg,
      onDns: dnsEventRecorder(
        this.id,
        this.cg.path,
        host.pipeline,
        () => this.policy.policy,
        (e) => this.handle(e) /* to the detectors too: an encoded label is exfiltration */,
      ),
    });
    if (opts.enforcement) {
      this.enforcer = new SessionEnforcer(this.judge(opts.enforcement.policy), this.cg.path, (e) =>
        this.store.addEvent(e),
      );
      this.enforcer.onQuarantine = (e) => this.hold(`${e.decision?.rule ?? 'a violation'} by pid ${e.pid}`);
    }
  }

  /** The agent role the session runs as: baselines are learnt per agent. */
  private agentName(): string {
    return this.opts.agent ?? basename(this.opts.command[0] ?? 'agent');
  }

  /** One of the session's events, from the pipeline. */
  handle(e: WardenEvent): void {
    if (isLaunchersOwn(e, this.cfg.launchBin)) return;
    this.correlator.handle(e);
    if (e.type === 'open' && e.result >= 0) this.app.noteOpened(e.path);
    if (this.enforcer) this.enforcer.handle(e);
    else this.store.addEvent(e);
    this.detection.handle(e);
    this.correlator.flush();
    this.detection.flush();
  }

  /** events of the session stored so far */
  storedEvents = 0;

  /** An event of the session is in the store. */
  stored(e: WardenEvent): void {
    this.storedEvents++;
    this.jsonOut?.write(JSON.stringify(e) + '\n');
  }

  /**
   * Its monitor is gone: an enforced session is frozen and held, never left to go on unwatched.
   * One whose agent was never started has nothing to hold: its cleanup ends and removes it.
   */
  unwatched(reason: string): void {
    if (this.outcome !== 'pending' || !this.opts.enforcement || !this.launched) return;
    freezeCgroup(this.cg.path, true);
    this.hold(reason);
  }

  private wardenPids(): number[] {
    return [...this.host.wardenPids(), ...(this.opts.clientPid ? [this.opts.clientPid] : [])];
  }

  /**
   * Stores an alert for a finding or detection, its evidence written first so the alert can name
   * the events by id. Returns the last piece of evidence.
   */
  private raise(
    f: Pick<Detection, 'detector' | 'severity' | 'message' | 'toolCallId' | 'events' | 'data'>,
    more: (last: WardenEvent | undefined) => Record<string, unknown> = () => ({}),
  ): WardenEvent | undefined {
    this.store.flush();
    const last = f.events[f.events.length - 1];
    this.app.alert({
      detector: f.detector,
      severity: f.severity,
      message: f.message,
      toolCallId: f.toolCallId,
      eventIds: f.events.flatMap((e) => (e.id === undefined ? [] : [e.id])),
      data: Object.assign(more(last), f.data),
    });
    return last;
  }

  private judge(policy: CompiledPolicy | null): Judge {
    const self: SelfProtection = {
      paths: selfProtectedPaths(this.cfg),
      secrets: selfSecretPaths(this.cfg),
      pids: () => this.wardenPids(),
    };
    return new Judge(
      policy,
      this.policy.mechanisms,
      self,
      this.policy.namesOf,
      () => this.policy.dnsRedirect,
      (path) => this.masked.some((m) => path === m || path.startsWith(`${m}/`)),
      (path) => this.programs.identify(path),
    );
  }

  /** The session tracked, its policy in the kernel, its proxy and socket up: what it takes to start the agent. */
  async open(): Promise<LaunchSpec> {
    this.proxyPort = await this.proxy.listen();
    this.correlator.runtimePorts.add(this.proxyPort);
    await this.policy.install(this.withWarden(this.opts.enforcement?.policy ?? null));
    /* decisions are named by the policy in force: the session's, with Warden's additions */
    if (this.enforcer) this.enforcer.judge = this.judge(this.policy.policy);
    this.store.createSession({
      id: this.id,
      name: this.opts.name ?? this.opts.command.join(' ').slice(0, 80),
      command: this.opts.command,
      cwd: this.opts.cwd,
      cgroup: this.cg.path,
      cgroupId: this.cg.id.toString(),
      status: 'running',
      startedUs: Date.now() * 1000,
      rootPid: null,
      agent: this.agentName(),
      owner: processIdentity(),
      proxyPort: this.proxyPort,
    });
    const floor = this.opts.enforcement ? this.writeFloor(this.opts.enforcement.policy) : undefined;
    this.recordPolicy();
    mkdirSync(runDir(this.cfg), { recursive: true, mode: 0o700 });
    this.socket = await serveSocket(appSocket(this.cfg, this.id), (m, p) => this.app.handle(m, p));
    const proxied = throughProxy(this.opts.command, `http://127.0.0.1:${this.proxyPort}`);
    this.launched = true;
    return {
      id: this.id,
      cgroup: { path: this.cg.path, id: this.cg.id.toString(), level: this.cg.level },
      command: proxied.command,
      ...(floor ? { floor } : {}),
      env: this.agentEnv(),
      ...(proxied.note ? { note: proxied.note } : {}),
    };
  }

  /* the launch spec was handed out: from then on an agent may run in the session */
  private launched = false;

  /** The agent runs, as `pid`. */
  started(pid: number | undefined): void {
    this.store.updateSession(this.id, { rootPid: pid ?? null });
    if (this.opts.enforcement) this.watchReloads();
  }

  /** The agent talks to its model through the proxy, and finds its session's socket. */
  private agentEnv(): Record<string, string> {
    const base = `http://127.0.0.1:${this.proxyPort}`;
    return {
      ANTHROPIC_BASE_URL: base,
      OPENAI_BASE_URL: `${base}${PREFIX.openai}`,
      OPENAI_API_BASE: `${base}${PREFIX.openai}`,
      GOOGLE_GEMINI_BASE_URL: `${base}${PREFIX.gemini}`,
      WARDEN_SESSION: this.id,
      WARDEN_SOCKET: appSocket(this.cfg, this.id),
    };
  }

  /**
   * What Warden adds to a session's policy: the agent reaches its model through
   * the proxy (even under an allow list) and never the provider directly, so
   * every request passes the secret scan; and it reaches its session's socket.
   */
  private withWarden(policy: CompiledPolicy | null): CompiledPolicy | null {
    if (!policy) return policy;
    const proxy = {
      id: 'warden.llm-proxy',
      target: parseNetTarget(`127.0.0.1:${this.proxyPort}`) as NetTarget,
    };
    const direct = providerRules(this.cfg.llmUpstreams);
    return Object.assign({}, policy, {
      network: {
        ...policy.network,
        allow: policy.network.allow ? [proxy, ...policy.network.allow] : null,
        deny: [...direct, ...policy.network.deny],
        unixAllow: [...policy.network.unixAllow, appSocket(this.cfg, this.id)],
      },
    });
  }

  private recordPolicy(): void {
    if (!this.opts.enforcement) return;
    const p = this.policy.policy;
    this.store.updateSession(this.id, {
      policy: p ? `${p.name} (${p.mode})` : null,
      mechanisms: { active: [...this.policy.mechanisms].sort(), unavailable: this.sensor.info?.lsm ? [] : ['bpf-lsm'] },
    });
  }

  /** The floor goes where the agent cannot change it. */
  private writeFloor(policy: CompiledPolicy | null): string {
    mkdirSync(runDir(this.cfg), { recursive: true, mode: 0o700 });
    const file = join(runDir(this.cfg), `${this.id}.floor`);
    const input = { policy, protect: selfProtectedPaths(this.cfg) };
    const plan = sealPlan(input);
    this.masked = plan.masks;
    this.programs = new DeniedPrograms(plan.execContent);
    writeFileSync(file, buildFloor(input, plan), { mode: 0o600 });
    return file;
  }

  /* what the floor hides in the session's mount namespace: an open of it reads an empty /dev/null */
  private masked: string[] = [];
  /* the denied programs whose bytes the floor refuses to run under any name */
  private programs = new DeniedPrograms([]);

  /** `warden policy reload` drops a request file in the run directory. */
  private watchReloads(): void {
    this.reloadWatch = watch(runDir(this.cfg), (_, name) => {
      if (name === `${this.id}.reload` && existsSync(reloadRequest(this.cfg, this.id))) void this.reload();
    });
    this.reloadWatch.unref();
  }

  private async reload(): Promise<void> {
    const request = reloadRequest(this.cfg, this.id);
    let result: { ok: boolean; message: string; notes: string[] };
    try {
      const { file, workspace } = JSON.parse(readFileSync(request, 'utf8')) as { file: string; workspace: string };
      rmSync(request, { force: true });
      const next = this.withWarden(compilePolicy(loadPolicy(file), { workspace })) as CompiledPolicy;
      const notes = await this.policy.reload(next);
      if (this.enforcer) this.enforcer.judge = this.judge(next);
      this.recordPolicy();
      result = { ok: true, message: `policy "${next.name}" (${next.mode}) in force`, notes };
    } catch (e) {
      rmSync(request, { force: true });
      const problems = e instanceof PolicyError ? e.problems.join('\n') : (e as Error).message;
      result = { ok: false, message: `kept the policy in force; the new one was refused:\n${problems}`, notes: [] };
    }
    const out = reloadResult(this.cfg, this.id);
    writeFileSync(`${out}.tmp`, JSON.stringify(result));
    renameSync(`${out}.tmp`, out);
  }

  /** After the agent exited: stragglers handled, every event in, the kernel state removed. */
  async finish(exit: Exit): Promise<RunResult> {
    const pids = cgroupPids(this.cg.path);
    const lingering = pids
      .filter((pid) => !isSessionInit(pid))
      .map((pid) => ({
        pid,
        ...describePid(pid),
        action: this.opts.keepLingering ? 'kept' : 'killed',
      }));
    /* the session's init may still be on its way out: the cgroup is emptied either way */
    if (pids.length && (!this.opts.keepLingering || !lingering.length)) await killCgroup(this.cg.path);
    await this.sensor.untrack(this.cg.id); /* barrier: every event of the session has arrived */
    this.app.flush();
    await this.policy.teardown();
    await this.sensor.barrier();
    this.outcome = 'ended';
    const signo = exit.signal ? constants.signals[exit.signal] : null;
    this.store.updateSession(this.id, {
      status: this.outcome,
      endedUs: Date.now() * 1000,
      exitCode: exit.code,
      exitSignal: signo,
      lost: this.lost(),
      lingering,
    });
    if (!lingering.length || !this.opts.keepLingering) removeCgroup(this.cg.path);
    this.review();
    return { session: this.record(), status: exit.code ?? 128 + (signo ?? 0) };
  }

  /** Its score against the agent's baseline and the slow-burn accumulators, as alerts. */
  private review(): void {
    const session = this.store.session(this.id);
    if (!session) return;
    try {
      for (const a of reviewSession(this.store, session, (pid) => this.correlator.isRuntime(pid))) this.app.alert(a);
    } catch (e) {
      process.stderr.write(`warden: the session's baseline review failed: ${(e as Error).message}\n`);
    }
  }

  /** The session stays frozen, its network limits pinned, for an operator to decide. */
  quarantine(): RunResult {
    this.outcome = 'quarantined';
    freezeCgroup(this.cg.path, true);
    this.store.updateSession(this.id, { status: this.outcome, endedUs: Date.now() * 1000, lost: this.lost() });
    return { session: this.record(), status: QUARANTINED_STATUS };
  }

  private hostLost(): number {
    return Number(this.sensor.stats.drops) + this.sensor.decodeErrors; /* dropped in the kernel or undecodable */
  }

  private lost(): number {
    return this.hostLost() - this.lostBefore;
  }

  private record(): Session {
    const session = this.store.session(this.id);
    if (!session) throw new Error(`session ${this.id} vanished from the store`);
    return session;
  }

  private cleaned: Promise<void> | undefined;

  /** Undoes what the session set up; once, however often it is called. */
  cleanup(): Promise<void> {
    this.cleaned ??= this.undo();
    return this.cleaned;
  }

  private async undo(): Promise<void> {
    this.reloadWatch?.close();
    this.socket?.close();
    rmSync(appSocket(this.cfg, this.id), { force: true });
    await this.proxy.close();
    this.app.flush();
    this.policy.stopResolver();
    if (this.outcome === 'pending') {
      if (cgroupPids(this.cg.path).length) await killCgroup(this.cg.path).catch(() => false);
      try {
        removeCgroup(this.cg.path);
      } catch {
        /* reported by the caller's error; nothing more to undo */
      }
      await this.sensor.untrack(this.cg.id).catch(() => undefined);
      await this.policy.teardown().catch(() => undefined);
      if (this.store.session(this.id))
        this.store.updateSession(this.id, { status: 'failed', endedUs: Date.now() * 1000 });
    }
    this.host.forget(this);
    rmSync(join(runDir(this.cfg), `${this.id}.floor`), { force: true });
    /* a loader that died leaves its pins; the session is over, so lift them. A quarantined
     * session keeps them: it still exists, frozen, until someone releases or kills it */
    if (this.outcome !== 'quarantined') removePins(this.id);
    await new Promise<void>((r) => (this.jsonOut ? this.jsonOut.end(r) : r()));
  }
}

export interface RunOptions extends Omit<SessionOptions, 'cwd' | 'clientPid'> {
  /** the command's stdin/stdout are pipes handed to `onStart` (the MCP proxy); default: inherited */
  stdio?: 'inherit' | 'pipe';
  /** called once the command has started */
  onStart?: (child: ChildProcess, app: AppLayerService) => void;
  /** called once the session is stored and its cgroup is gone */
  onEnd?: (session: Session, store: Store) => void;
}

export interface RunResult {
  session: Session;
  /** what the shell would see: the code, or 128 + the signal; 125: left quarantined */
  status: number;
}

/** `warden run` standalone: a host of its own for one session, the agent started here. */
export async function runSession(cfg: Config, opts: RunOptions): Promise<RunResult> {
  const relay = new SignalRelay(process.stdin.isTTY === true); /* first: an early signal aborts cleanly */
  const host = new SensorHost(cfg, opts.verbose);
  try {
    await host.start();
    const run = host.session(cfg, Object.assign({ cwd: process.cwd() }, opts));
    try {
      const spec = await run.open();
      if (spec.note && opts.verbose !== false) process.stderr.write(`warden: ${spec.note}\n`);
      const agent = startAgent(cfg, run.cg, spec.command, relay, {
        ...(spec.floor ? { floor: spec.floor } : {}),
        env: agentEnvironment(spec.env),
        stdio: opts.stdio ?? 'inherit',
      });
      run.started(agent.child.pid);
      opts.onStart?.(agent.child, run.app);
      const first = await Promise.race([
        agent.done.then((exit) => ({ exit })),
        run.held.then((reason) => ({ reason })),
      ]).finally(() => relay.release());
      let result: RunResult;
      if ('reason' in first) {
        agent.child.unref(); /* frozen, not ours to wait for any more */
        result = run.quarantine();
        process.stderr.write(quarantineNotice(run.id, first.reason));
      } else {
        /* a backlog can take a while to record: say so, so that a wait is never taken for a hang */
        const notice = setTimeout(
          () =>
            process.stderr.write(
              'warden: the command has ended; recording its last events (SIGTERM again stops now, and loses them)\n',
            ),
          3000,
        );
        notice.unref();
        result = await run.finish(first.exit).finally(() => clearTimeout(notice));
      }
      opts.onEnd?.(result.session, host.store);
      return result;
    } finally {
      await run.cleanup();
    }
  } finally {
    relay.release();
    host.close();
  }
}

/**
 * The daemon's side of hosted sessions (see session/control.ts): each connection
 * on the control socket opens one session on `host`, whose agent the caller starts.
 */
export async function serveControl(host: SensorHost, token: string): Promise<Server> {
  const runs = new WeakMap<Peer, SessionRun>();
  const expected = Buffer.from(token);
  const handler = async (method: string, params: unknown, peer: Peer): Promise<unknown> => {
    const run = runs.get(peer);
    switch (method) {
      case 'open': {
        const req = OpenRequestSchema.parse(params);
        const given = Buffer.from(req.token);
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error('wrong token');
        if (run) throw new Error(`this connection already has session ${run.id}`);
        const cfg = Object.assign({}, host.cfg, { llmUpstreams: req.upstreams.llm, dnsUpstream: req.upstreams.dns });
        const policy = req.policy ? compilePolicy(loadPolicy(req.policy), { workspace: req.workspace }) : null;
        const next = host.session(cfg, {
          command: req.command,
          ...(req.name ? { name: req.name } : {}),
          ...(req.agent ? { agent: req.agent } : {}),
          cwd: req.cwd,
          ...(req.jsonEvents ? { jsonEvents: req.jsonEvents } : {}),
          keepLingering: req.keepLingering === true,
          enforcement: { policy, workspace: req.workspace },
          clientPid: req.clientPid,
        });
        runs.set(peer, next);
        /* whatever happens to the caller, the session ends here: a connection gone while
         * the agent runs means its warden run died, and its processes are killed; gone
         * once the agent exited, the session's recording is finished first */
        peer.onClose(
          () => void (next.finishing ?? Promise.resolve()).catch(() => undefined).finally(() => next.cleanup()),
        );
        void next.held.then((reason) => {
          if (next.outcome !== 'pending') return;
          next.quarantine();
          peer.push({ event: 'quarantined', reason });
        });
        try {
          return await next.open();
        } catch (e) {
          await next.cleanup();
          throw e;
        }
      }
      case 'started': {
        if (!run) throw new Error('no session on this connection: open one first');
        run.started(StartedSchema.parse(params).pid);
        return null;
      }
      case 'exit': {
        if (!run) throw new Error('no session on this connection: open one first');
        if (run.outcome !== 'pending') throw new Error(`session ${run.id} is already ${run.outcome}`);
        const exit = ExitSchema.parse(params);
        run.finishing = run.finish({ code: exit.code, signal: exit.signal as NodeJS.Signals | null });
        const { session, status } = await run.finishing;
        return { id: session.id, status };
      }
      default:
        throw new Error(`unknown method ${method}`);
    }
  };
  return serveSocket(controlSocket(host.cfg), handler);
}

/** Hands a reload request to a running session and returns its answer. */
export async function requestReload(
  cfg: Config,
  sessionId: string,
  file: string,
  workspace: string,
  timeoutMs = 10000,
): Promise<{ ok: boolean; message: string; notes: string[] }> {
  const request = reloadRequest(cfg, sessionId);
  const result = reloadResult(cfg, sessionId);
  rmSync(result, { force: true });
  writeFileSync(`${request}.tmp`, JSON.stringify({ file, workspace }), { mode: 0o600 });
  renameSync(`${request}.tmp`, request);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(result)) {
      const answer = JSON.parse(readFileSync(result, 'utf8')) as { ok: boolean; message: string; notes: string[] };
      rmSync(result, { force: true });
      return answer;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  rmSync(request, { force: true });
  throw new Error(`session ${sessionId} did not answer: is its warden run still running?`);
}
