/**
 * The composition root: the only module that wires sensor, pipeline, session
 * cgroups and store together. `runSession` is `warden run` standalone: it
 * brings up its own sensor for the length of one session.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:os';
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.js';
import { buildFloor } from './enforce/floor.js';
import { Judge, type SelfProtection } from './enforce/judge.js';
import { SessionEnforcer } from './enforce/session-enforcer.js';
import { pinDir, PIN_ROOT, SessionNetPolicy } from './enforce/network.js';
import { installGate } from './enforce/gate.js';
import { SessionResolver, type DnsQueryRecord } from './enforce/dns.js';
import { pidOfLocalPort } from './session/sockets.js';
import type { CompiledPolicy } from './policy/compile.js';
import type { WardenEvent } from './pipeline/events.js';
import { Pipeline } from './pipeline/pipeline.js';
import { MapId } from './sensor/layout.js';
import { Sensor } from './sensor/sensor.js';
import {
  cgroupPids,
  createSessionCgroup,
  findCgroup2Mount,
  freezeCgroup,
  killCgroup,
  removeCgroup,
  type SessionCgroup,
} from './session/cgroup.js';
import { Store, type Session } from './store/store.js';

export interface RunOptions {
  command: string[];
  name?: string;
  /** also write each event as a JSON line to this file */
  jsonEvents?: string;
  /** leave processes that outlive the session running (default: kill them) */
  keepLingering?: boolean;
  /**
   * Apply a launch floor: the policy's limits (null: none, monitor only) plus
   * Warden's self-protection. Absent: the command runs with no floor at all.
   */
  enforcement?: { policy: CompiledPolicy | null };
  verbose?: boolean;
  /** called once the session is stored and its cgroup is gone */
  onEnd?: (session: Session, store: Store) => void;
}

export interface RunResult {
  session: Session;
  /** what the shell would see: the code, or 128 + the signal */
  status: number;
}

const FORWARDED = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGCONT', 'SIGWINCH'] as const;
/* Signals a terminal already delivers to the whole foreground group, the agent included. */
const TTY_DELIVERED = new Set(['SIGINT', 'SIGQUIT', 'SIGWINCH']);

export function newSessionId(): string {
  return Date.now().toString(36) + randomBytes(3).toString('hex');
}

function describePid(pid: number): { comm: string; argv: string[] } {
  try {
    return {
      comm: readFileSync(`/proc/${pid}/comm`, 'utf8').trim(),
      argv: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean),
    };
  } catch {
    return { comm: '?', argv: [] };
  }
}

/** A signal arrived before the agent started: the session was not run. */
export class SessionAborted extends Error {
  override name = 'SessionAborted';
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal} before the command started`);
  }
}

/**
 * Relays signals to the agent. Installed before any set-up, so a signal that
 * arrives early aborts the session cleanly instead of killing Warden mid-way.
 */
class SignalRelay {
  private child: ChildProcess | undefined;
  pending: NodeJS.Signals | undefined;
  private readonly handlers = new Map<NodeJS.Signals, () => void>();

  constructor(tty: boolean) {
    for (const sig of FORWARDED) {
      const h = (): void => {
        if (!this.child) this.pending ??= sig;
        else if (!(tty && TTY_DELIVERED.has(sig))) this.child.kill(sig);
      };
      this.handlers.set(sig, h);
      process.on(sig, h);
    }
  }

  attach(child: ChildProcess): void {
    this.child = child;
  }

  release(): void {
    for (const [sig, h] of this.handlers) process.off(sig, h);
  }
}

/** Paths no agent may write, whatever its policy: Warden itself, and the kernel's control files. */
export function selfProtectedPaths(cfg: Config): string[] {
  return [cfg.root, cfg.stateDir, '/proc', '/sys'];
}

/** Writes the session's floor where the agent cannot change it; returns its path. */
function writeFloor(cfg: Config, id: string, policy: CompiledPolicy | null): string {
  const dir = join(cfg.stateDir, 'run');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${id}.floor`);
  writeFileSync(file, buildFloor({ policy, protect: selfProtectedPaths(cfg) }), { mode: 0o600 });
  return file;
}

/** Starts CMD inside the session cgroup: warden-launch joins it, applies the floor, then execs CMD. */
function startAgent(cfg: Config, cg: SessionCgroup, command: string[], relay: SignalRelay, floor?: string) {
  const [cmd, ...args] = command;
  if (!cmd) throw new Error('no command to run');
  if (relay.pending) throw new SessionAborted(relay.pending);
  const launchArgs = [...(floor ? ['--floor', floor] : []), cg.path, cmd, ...args];
  const child = spawn(cfg.launchBin, launchArgs, { stdio: 'inherit' });
  relay.attach(child);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, done };
}

/** Whether the policy limits the network at all (else no programs are attached). */
function enforcesNetwork(policy: CompiledPolicy): boolean {
  return policy.mode === 'enforce' && (policy.network.allow !== null || policy.network.deny.length > 0);
}

/** Turns the resolver's queries into events, attributed to the process that asked. */
function dnsEventRecorder(
  sessionId: string,
  cgroup: string,
  pipeline: Pipeline,
  policy: CompiledPolicy,
  sink: (e: WardenEvent) => void,
): (q: DnsQueryRecord) => void {
  return (q) => {
    const pid = pidOfLocalPort(q.clientPort, cgroupPids(cgroup)) ?? 0;
    const proc = pipeline.processes.get(pid);
    const nowUs = Date.now() * 1000;
    sink({
      sessionId,
      time: new Date(nowUs / 1000).toISOString(),
      timeUs: nowUs,
      pid,
      tid: pid,
      ppid: proc?.ppid ?? 0,
      uid: proc?.uid ?? 0,
      gid: 0,
      comm: proc?.comm ?? '?',
      exe: proc?.exe ?? '',
      execId: proc?.execId ?? '',
      parentExecId: proc?.parentExecId ?? null,
      type: 'dns',
      name: q.name,
      qtype: q.qtype,
      answers: q.answers,
      rcode: q.rcode,
      transport: q.transport,
      decision: {
        verdict: q.verdict,
        rule: q.rule,
        mechanism: 'dns-redirect',
        reason: q.verdict === 'denied' ? `${q.name} is not an allowed name` : `${q.name} may be resolved`,
        policy: policy.name,
      },
    });
  };
}

/** Mechanisms that really hold in a session with this policy. */
function activeMechanisms(policy: CompiledPolicy | null): Set<string> {
  const active = new Set<string>(['landlock-scope', 'seccomp']);
  if (policy?.mode === 'enforce') active.add('landlock');
  return active;
}

function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/** What `warden run` returns when it leaves its session frozen (like timeout's 124). */
export const QUARANTINED_STATUS = 125;

function quarantineNotice(id: string, reason: string): void {
  process.stderr.write(
    `warden: session ${id} is quarantined (frozen): ${reason}.\n` +
      `  It stays frozen, its network limits in force. Resume: warden session release ${id}   End: warden session kill ${id}\n`,
  );
}

export async function runSession(cfg: Config, opts: RunOptions): Promise<RunResult> {
  const relay = new SignalRelay(process.stdin.isTTY === true);
  const store = Store.open(cfg.stateDir);
  store.applyRetention(cfg.retentionDays);
  const id = newSessionId();
  const key = randomBytes(4).readUInt32LE(0) || 1;
  const mount = findCgroup2Mount();
  const cg = createSessionCgroup(id, mount);
  let jsonOut: WriteStream | undefined;
  let sensor: Sensor | undefined;
  /* pending until the agent exits (ended) or is held frozen (quarantined); pending in finally means failed */
  let outcome: 'pending' | 'ended' | 'quarantined' = 'pending';
  let hold: (reason: string) => void = () => undefined;
  const held = new Promise<string>((resolve) => (hold = resolve));
  let netPolicy: SessionNetPolicy | undefined;
  let resolver: SessionResolver | undefined;
  let gateRules: string[] = [];
  const gateLatencies: number[] = [];
  try {
    if (opts.jsonEvents) {
      const out = createWriteStream(opts.jsonEvents, { flags: 'w' });
      jsonOut = out;
      store.onStored = (events: WardenEvent[]) => {
        for (const e of events) out.write(JSON.stringify(e) + '\n');
      };
    }
    const policy = opts.enforcement?.policy ?? null;
    const mechanisms = activeMechanisms(policy);
    const self: SelfProtection = {
      paths: selfProtectedPaths(cfg),
      pids: () => [process.pid, ...(sensor?.pid ? [sensor.pid] : [])],
    };
    const enforcer = opts.enforcement
      ? new SessionEnforcer(
          new Judge(
            policy,
            mechanisms,
            self,
            (addr) => resolver?.namesOf(addr) ?? [],
            !!policy && enforcesNetwork(policy),
          ),
          cg.path,
          (e) => store.addEvent(e),
        )
      : undefined;
    if (enforcer) enforcer.onQuarantine = (e) => hold(`${e.decision?.rule ?? 'a violation'} by pid ${e.pid}`);
    const pipeline = new Pipeline({
      event: (e) => (enforcer ? enforcer.handle(e) : store.addEvent(e)),
      process: (p) => store.putProcess(p),
    });
    sensor = new Sensor({
      bin: cfg.sensorBin,
      sessionLevel: cg.level,
      ringbufMb: cfg.ringbufMb,
      verbose: opts.verbose,
      onEvent: (raw) => pipeline.handle(raw),
      onGate: (d) => gateLatencies.push(d.latencyNs),
      /* monitoring and the file gate died with it: the session must not go on unwatched */
      onExit: () => {
        if (outcome === 'pending' && opts.enforcement) {
          freezeCgroup(cg.path, true);
          hold('the sensor died: the session would go on unwatched');
        }
      },
    });
    pipeline.clock = await sensor.start();
    pipeline.addSession(key, id);
    await sensor.track(cg.id, key);
    if (policy && enforcesNetwork(policy)) {
      netPolicy = new SessionNetPolicy(sensor, key, policy);
      const dnsRecorder = dnsEventRecorder(id, cg.path, pipeline, policy, (e) => enforcer?.handle(e));
      resolver = new SessionResolver(policy, netPolicy, cfg.dnsUpstream, dnsRecorder);
      await netPolicy.install(await resolver.start());
      mkdirSync(PIN_ROOT, { recursive: true, mode: 0o700 });
      await sensor.netAttach(key, cg.path, pinDir(id));
      mechanisms.add('cgroup-sock-addr');
    }
    if (policy?.mode === 'enforce') {
      gateRules = await installGate(sensor, key, policy);
      if (gateRules.length) mechanisms.add('fanotify');
    }
    if (sensor.info?.lsm) {
      mechanisms.add('bpf-lsm');
      await sensor.mapUpdate(MapId.PROTECTED_PIDS, u32le(process.pid), Uint8Array.of(1));
    }

    const startedUs = Date.now() * 1000;
    store.createSession({
      id,
      name: opts.name ?? opts.command.join(' ').slice(0, 80),
      command: opts.command,
      cwd: process.cwd(),
      cgroup: cg.path,
      cgroupId: cg.id.toString(),
      status: 'running',
      startedUs,
      rootPid: null,
    });
    const floor = opts.enforcement ? writeFloor(cfg, id, opts.enforcement.policy) : undefined;
    if (opts.enforcement) {
      store.updateSession(id, {
        policy: policy ? `${policy.name} (${policy.mode})` : null,
        mechanisms: {
          active: [...mechanisms].sort(),
          unavailable: sensor.info?.lsm ? [] : ['bpf-lsm'],
        },
      });
    }
    const agent = startAgent(cfg, cg, opts.command, relay, floor);
    store.updateSession(id, { rootPid: agent.child.pid ?? null });
    const first = await Promise.race([
      agent.done.then((exit) => ({ exit })),
      held.then((reason) => ({ reason })),
    ]).finally(() => relay.release());
    if ('reason' in first) {
      outcome = 'quarantined';
      freezeCgroup(cg.path, true);
      agent.child.unref(); /* frozen, not ours to wait for any more */
      store.updateSession(id, {
        status: outcome,
        endedUs: Date.now() * 1000,
        lost: Number(sensor.stats.drops) + sensor.decodeErrors,
      });
      quarantineNotice(id, first.reason);
      const session = store.session(id);
      if (!session) throw new Error(`session ${id} vanished from the store`);
      opts.onEnd?.(session, store);
      return { session, status: QUARANTINED_STATUS };
    }
    const exit = first.exit;

    const lingering = cgroupPids(cg.path).map((pid) => ({
      pid,
      ...describePid(pid),
      action: opts.keepLingering ? 'kept' : 'killed',
    }));
    if (lingering.length && !opts.keepLingering) await killCgroup(cg.path);
    await sensor.untrack(cg.id); /* barrier: every event of the session has arrived */
    if (netPolicy) {
      await sensor.netDetach(key);
      await netPolicy.uninstall();
    }
    if (gateRules.length) await sensor.gateClear(key);
    await sensor.barrier();
    outcome = 'ended';
    const signo = exit.signal ? constants.signals[exit.signal] : null;
    store.updateSession(id, {
      status: outcome,
      endedUs: Date.now() * 1000,
      exitCode: exit.code,
      exitSignal: signo,
      lost: Number(sensor.stats.drops) + sensor.decodeErrors /* dropped in the kernel or undecodable */,
      lingering,
    });
    if (!lingering.length || !opts.keepLingering) removeCgroup(cg.path);
    const session = store.session(id);
    if (!session) throw new Error(`session ${id} vanished from the store`);
    opts.onEnd?.(session, store);
    return { session, status: exit.code ?? 128 + (signo ?? 0) };
  } finally {
    resolver?.stop();
    relay.release();
    if (outcome === 'pending') {
      if (cgroupPids(cg.path).length) await killCgroup(cg.path).catch(() => false);
      try {
        removeCgroup(cg.path);
      } catch {
        /* reported by the caller's error; nothing more to undo */
      }
      if (store.session(id)) store.updateSession(id, { status: 'failed', endedUs: Date.now() * 1000 });
    }
    sensor?.stop();
    store.close();
    rmSync(join(cfg.stateDir, 'run', `${id}.floor`), { force: true });
    /* a loader that died leaves its pins; the session is over, so lift them. A quarantined
     * session keeps them: it still exists, frozen, until someone releases or kills it */
    if (outcome !== 'quarantined') rmSync(pinDir(id), { recursive: true, force: true });
    await new Promise<void>((r) => (jsonOut ? jsonOut.end(r) : r()));
  }
}
