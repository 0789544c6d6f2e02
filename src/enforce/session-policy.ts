/**
 * One session's policy in the kernel and in Warden: network maps and program
 * links, the DNS resolver, file gate rules, BPF-LSM registration. A reload
 * installs the new policy under a new session key and then flips the session
 * cgroup's entry in the sensor's sessions map: one map update, so every hook
 * sees either the old policy or the new, never a mix.
 */
import { mkdirSync } from 'node:fs';
import type { Config } from '../config.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { CompiledPolicy } from '../policy/compile.js';
import { MapId } from '../sensor/layout.js';
import type { Sensor } from '../sensor/sensor.js';
import { u32le } from '../sensor/encode.js';
import { SessionResolver, type DnsQueryRecord } from './dns.js';
import { installGate, installLsmFiles, removeLsmFiles } from './gate.js';
import { pinDir, PIN_ROOT, SessionNetPolicy } from './network.js';

/**
 * Whether the policy limits the network (else no programs are attached). An
 * enforced policy always does: Unix sockets outside the session and calls in
 * from other hosts are refused unless it allows them.
 */
export function enforcesNetwork(policy: CompiledPolicy | null): policy is CompiledPolicy {
  return policy?.mode === 'enforce';
}

export const newSessionKey = (): number => (Math.random() * 0xfffffffe + 1) >>> 0;

export interface SessionPolicyDeps {
  cfg: Config;
  /** Warden's paths the floor leaves writable (inside a narrower writable place): the gate guards them */
  gatedSelf: string[];
  /** Warden's files no agent may read (the API token): the gate guards them in every session */
  secretSelf: string[];
  sensor: Sensor;
  pipeline: Pipeline;
  sessionId: string;
  cgroup: { path: string; id: bigint };
  onDns: (q: DnsQueryRecord) => void;
}

export class SessionPolicy {
  key = 0;
  policy: CompiledPolicy | null = null;
  private net: SessionNetPolicy | undefined;
  private resolver: SessionResolver | undefined;
  private gated = false;
  private lsmFiles: Uint8Array[] = [];
  private attached = false;
  /** mechanisms that really hold for the session now */
  readonly mechanisms = new Set<string>(['landlock-scope', 'seccomp']);

  constructor(private readonly d: SessionPolicyDeps) {}

  /** The names an address was resolved from by this session's resolver. */
  namesOf = (addr: string): string[] => this.resolver?.namesOf(addr) ?? [];

  get dnsRedirect(): boolean {
    return this.resolver !== undefined;
  }

  /** Installs `policy` under `key` (not yet switched on: see activate). */
  private async prepare(
    policy: CompiledPolicy | null,
    key: number,
  ): Promise<{ net?: SessionNetPolicy; gated: boolean }> {
    const { sensor } = this.d;
    let net: SessionNetPolicy | undefined;
    if (enforcesNetwork(policy)) {
      net = new SessionNetPolicy(sensor, key, policy);
      if (!this.resolver) {
        this.resolver = new SessionResolver(policy, net, this.d.cfg.dnsUpstream, this.d.onDns);
        await this.resolver.start();
      }
      await net.install(this.resolver.port);
    }
    const self = { write: this.d.gatedSelf, read: this.d.secretSelf };
    const gated = (await installGate(sensor, key, policy, self)).length > 0;
    if (gated && sensor.info?.lsm) this.lsmFiles.push(...(await installLsmFiles(sensor, key, policy, self)));
    this.d.pipeline.addSession(key, this.d.sessionId);
    return { net, gated };
  }

  /** First installation, before the agent starts. */
  async install(policy: CompiledPolicy | null): Promise<void> {
    const key = newSessionKey();
    const { net, gated } = await this.prepare(policy, key);
    await this.d.sensor.track(this.d.cgroup.id, key);
    await this.settle(policy, key, net, gated);
    if (this.d.sensor.info?.lsm) {
      this.mechanisms.add('bpf-lsm');
      await this.d.sensor.mapUpdate(MapId.PROTECTED_PIDS, u32le(process.pid), Uint8Array.of(1));
    }
  }

  /** Swaps in a new policy; returns what did not change with it. */
  async reload(policy: CompiledPolicy): Promise<string[]> {
    const notes: string[] = [];
    const old = { key: this.key, net: this.net, gated: this.gated, policy: this.policy };
    const key = newSessionKey();
    const { net, gated } = await this.prepare(policy, key);
    if (net) this.resolver?.swap(policy, net);
    await this.d.sensor.track(this.d.cgroup.id, key); /* the flip */
    await this.settle(policy, key, net, gated);
    if (!net && this.resolver) notes.push("DNS keeps going through Warden's resolver for this session");
    const launched = old.policy;
    const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
    if (
      !same(launched?.source.files.allowWrite, policy.source.files.allowWrite) ||
      !same(launched?.source.exec.allow, policy.source.exec.allow)
    ) {
      notes.push(
        'files.allowWrite and exec.allow are fixed by the launch floor (Landlock): the new values apply from the next warden run',
      );
    }
    /* in-flight syscalls may still carry the old key for a moment */
    setTimeout(() => void this.retire(old.key, old.net, old.gated), 1000).unref();
    return notes;
  }

  private async settle(policy: CompiledPolicy | null, key: number, net: SessionNetPolicy | undefined, gated: boolean) {
    [this.key, this.policy, this.net, this.gated] = [key, policy, net, gated];
    if (net && !this.attached) {
      mkdirSync(PIN_ROOT, { recursive: true, mode: 0o700 });
      await this.d.sensor.netAttach(key, this.d.cgroup.path, pinDir(this.d.sessionId));
      this.attached = true;
    }
    this.mechanisms.delete('landlock');
    if (policy?.mode === 'enforce') this.mechanisms.add('landlock');
    /* the launch floor's sealed room (sensor/launcher/seal.c, supervise.c) */
    for (const m of ['mount-ns', 'pid-ns', 'supervisor']) this.mechanisms.add(m);
    for (const m of ['cgroup-sock-addr', 'cgroup-skb', 'cgroup-unix']) this.mechanisms.delete(m);
    if (net) for (const m of ['cgroup-sock-addr', 'cgroup-skb']) this.mechanisms.add(m);
    if (net && this.d.sensor.info?.unixHooks) this.mechanisms.add('cgroup-unix');
    if (gated) this.mechanisms.add('fanotify');
    else this.mechanisms.delete('fanotify');
  }

  private async retire(key: number, net: SessionNetPolicy | undefined, gated: boolean): Promise<void> {
    try {
      await net?.uninstall();
      if (gated) await this.d.sensor.gateClear(key);
      this.d.pipeline.removeSession(key);
    } catch {
      /* the sensor is gone: its maps and marks went with it */
    }
  }

  /** At the session's clean end: everything the session put in the kernel goes. */
  async teardown(): Promise<void> {
    this.resolver?.stop();
    if (this.attached) await this.d.sensor.netDetach(this.key);
    await this.net?.uninstall();
    if (this.gated) await this.d.sensor.gateClear(this.key);
    await removeLsmFiles(this.d.sensor, this.lsmFiles);
    this.lsmFiles = [];
    this.d.pipeline.removeSession(this.key);
  }

  stopResolver(): void {
    this.resolver?.stop();
  }
}
