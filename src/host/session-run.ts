/**
 * One session's life on a host: set-up, the agent's actions as they come, and an end that leaves
 * nothing behind. The host (host/sensor-host.ts) owns the sensor, pipeline and store it shares.
 */
import { createWriteStream, mkdirSync, rmSync, type WriteStream } from 'node:fs';
import type { Server } from 'node:net';
import { constants, homedir } from 'node:os';
import { basename } from 'node:path';
import { appSocket, runDir, sessionSocket, type Config } from '../config.js';
import { throughProxy } from '../applayer/agents.js';
import { LlmProxy } from '../applayer/llm/proxy.js';
import { AppLayerService } from '../applayer/service.js';
import { APP } from '../rpc/app.js';
import { serve } from '../rpc/server.js';
import { learntUpkeep } from '../detect/baseline.js';
import type { DetectionEngine, Detection } from '../detect/engine.js';
import { originSummary, traceEvent } from '../detect/provenance.js';
import { reviewSession } from '../detect/session-review.js';
import {
  cgroupPids,
  createSessionCgroup,
  findCgroup2Mount,
  freezeCgroup,
  isSessionInit,
  killCgroup,
  removeCgroup,
  type SessionCgroup,
} from '../enforce/cgroup.js';
import { dnsEventRecorder } from '../enforce/dns-events.js';
import { DeniedPrograms } from '../enforce/exec-content.js';
import { gatedSelfProtection } from '../enforce/floor.js';
import { Judge, type SelfProtection } from '../enforce/judge.js';
import { removePins } from '../enforce/network.js';
import { SessionEnforcer, type Due } from '../enforce/session-enforcer.js';
import { SessionPolicy } from '../enforce/session-policy.js';
import type { WardenEvent } from '../model/events.js';
import { AgentRuntimeProfile } from '../pipeline/agent-runtime.js';
import { Correlator, isLaunchersOwn } from '../pipeline/correlate.js';
import { compilePolicy, type CompiledPolicy } from '../policy/compile.js';
import { loadPolicy } from '../policy/load.js';
import type { Sensor } from '../sensor/sensor.js';
import { describePid, QUARANTINED_STATUS } from '../session/agent.js';
import type { Exit, LaunchSpec } from '../rpc/control.js';
import { processIdentity } from '../session/reconcile.js';
import type { Store } from '../store/store.js';
import type { Session } from '../model/session.js';
import { raiseAlert, sessionDetection } from './detection.js';
import { agentEnv, floorFile, policyRefusal, withWarden, writeFloor } from './launch.js';
import { serveSessionControl } from './reload.js';
import { newSessionId, selfProtectedPaths, selfSecretPaths } from './self-protection.js';
import type { RunResult, SessionHost, SessionOptions } from './session-options.js';

/** One session's life on a host: set-up, the agent's actions as they come, and an end that leaves nothing behind. */
export class SessionRun {
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
  /** the session's own control socket: `warden policy reload` */
  private control: Server | undefined;
  readonly app: AppLayerService;
  readonly correlator: Correlator;
  readonly detection: DetectionEngine;
  readonly proxy: LlmProxy;
  private proxyPort = 0;
  /** providers the agent's own configuration names (applayer/agents.ts), reached through the proxy */
  private configuredUpstreams: string[] = [];
  private socket: Server | undefined;
  private readonly store: Store;
  private readonly sensor: Sensor;
  /* the host's loss counters when the session began: its own loss is what was added since */
  private readonly lostBefore: number;

  constructor(
    readonly host: SessionHost,
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
      profile: new AgentRuntimeProfile(homedir(), learntUpkeep(this.store.baselines.get(this.agentName())), cfg.root),
    });
    const workspace = opts.enforcement?.workspace ?? opts.cwd;
    this.app = new AppLayerService({
      sessionId: this.id,
      records: this.store.app,
      policy: () => this.policy.policy,
      cwd: workspace,
      listener: this.correlator,
    });
    this.detection = sessionDetection(cfg, opts.enforcement?.workspace ?? null, {
      wardenPids: () => this.wardenPids(),
      actionOf: (id) => this.policy.policy?.detectionAction(id) ?? 'alert',
    });
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
    }
  }

  /** The agent role the session runs as: baselines are learnt per agent. */
  private agentName(): string {
    return this.opts.agent ?? basename(this.opts.command[0] ?? 'agent');
  }

  /**
   * One of the session's events, from the pipeline (decoded, its process attributed), through the
   * rest of its chain in order: correlate (which tool call), judge (the policy), detect, store
   * (then exported: `stored`), and what came of it: alerts raised, actions taken.
   */
  handle(e: WardenEvent): void {
    if (isLaunchersOwn(e, this.cfg.launchBin)) return;
    this.correlator.handle(e);
    if (e.type === 'open' && e.result >= 0) this.app.noteOpened(e.path);
    const due = this.enforcer?.decide(e);
    this.detection.handle(e);
    this.store.addEvent(e);
    if (due) this.act(e, due);
    for (const f of this.correlator.flush()) raiseAlert(this.store, this.app, f);
    for (const d of this.detection.flush()) this.detected(d);
  }

  /** A detector's alert, and the action the policy asks for on it. */
  private detected(d: Detection): void {
    const last = raiseAlert(this.store, this.app, d, (ev) => ({
      tags: d.tags,
      action: d.action,
      provenance: ev?.id ? originSummary(traceEvent(this.store, ev.id, 2)) : [],
    }));
    if (last && d.action !== 'alert') this.act(last, { rule: `detect.${d.detector}`, action: d.action });
  }

  /** A violation's or a detection's action; a quarantine holds the session once it is frozen. */
  private act(e: WardenEvent, due: Due): void {
    void this.enforcer?.act(e, due).then((done) => {
      if (done === 'quarantined') this.hold(`${e.decision?.rule ?? 'a violation'} by pid ${e.pid}`);
    });
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
    const policy = this.opts.enforcement?.policy ?? null;
    const proxied = throughProxy(this.opts.command, `http://127.0.0.1:${this.proxyPort}`, {
      env: this.opts.env ?? {},
      cwd: this.opts.cwd,
      refused: (url) => policyRefusal(policy, url),
    });
    if (proxied.routes) this.proxy.addRoutes(proxied.routes);
    /* the providers the agent's configuration names are reached through the proxy only, as the others */
    this.configuredUpstreams = (proxied.routes ?? []).map((r) => r.upstream);
    await this.policy.install(withWarden(policy, this.cfg, this.id, this.proxyPort, this.configuredUpstreams));
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
    mkdirSync(runDir(this.cfg), { recursive: true, mode: 0o700 });
    let floor: string | undefined;
    if (this.opts.enforcement) {
      /* bound before the floor is written: one of the sockets outside the session it masks */
      this.control = await serveSessionControl(this.cfg, this.id, (file, workspace) => this.reload(file, workspace));
      const written = writeFloor(this.cfg, this.id, this.opts.enforcement.policy);
      ({ file: floor, masked: this.masked, programs: this.programs } = written);
    }
    this.recordPolicy();
    this.socket = await serve(appSocket(this.cfg, this.id), APP, this.app.handlers);
    this.launched = true;
    return {
      id: this.id,
      cgroup: { path: this.cg.path, id: this.cg.id.toString(), level: this.cg.level },
      command: proxied.command,
      ...(floor ? { floor } : {}),
      env: { ...agentEnv(this.cfg, this.id, this.proxyPort), ...proxied.env },
      ...(proxied.note ? { note: proxied.note } : {}),
    };
  }

  /* the launch spec was handed out: from then on an agent may run in the session */
  private launched = false;

  /** The agent runs, as `pid`. */
  started(pid: number | undefined): void {
    this.store.updateSession(this.id, { rootPid: pid ?? null });
  }

  private recordPolicy(): void {
    if (!this.opts.enforcement) return;
    const p = this.policy.policy;
    this.store.updateSession(this.id, {
      policy: p ? `${p.name} (${p.mode})` : null,
      mechanisms: { active: [...this.policy.mechanisms].sort(), unavailable: this.sensor.info?.lsm ? [] : ['bpf-lsm'] },
    });
  }

  /* what the floor hides in the session's mount namespace: an open of it reads an empty /dev/null */
  private masked: string[] = [];
  /* the denied programs whose bytes the floor refuses to run under any name */
  private programs = new DeniedPrograms([]);

  /** A policy reload: the new policy in the kernel and in the judge, or an error and the old one kept. */
  private async reload(file: string, workspace: string): Promise<{ name: string; mode: string; notes: string[] }> {
    if (!this.launched) throw new Error('the session has not started its agent yet');
    const next = withWarden(
      compilePolicy(loadPolicy(file), { workspace }),
      this.cfg,
      this.id,
      this.proxyPort,
      this.configuredUpstreams,
    );
    if (!next) throw new Error('no policy to reload');
    const notes = await this.policy.reload(next);
    if (this.enforcer) this.enforcer.judge = this.judge(next);
    this.recordPolicy();
    return { name: next.name, mode: next.mode, notes };
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
    this.control?.close();
    rmSync(sessionSocket(this.cfg, this.id), { force: true });
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
    this.host.forget(this.id);
    rmSync(floorFile(this.cfg, this.id), { force: true });
    /* a loader that died leaves its pins; the session is over, so lift them. A quarantined
     * session keeps them: it still exists, frozen, until someone releases or kills it */
    if (this.outcome !== 'quarantined') removePins(this.id);
    await new Promise<void>((r) => (this.jsonOut ? this.jsonOut.end(r) : r()));
  }
}
