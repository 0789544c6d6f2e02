/**
 * `warden doctor`: probes each mechanism in DESIGN.md's enforcement ladder by
 * really trying it (load, attach, mark, freeze), and says what Warden uses.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tokenFile, type Config } from '../config.js';
import { Gate } from '../sensor/layout.js';
import { Sensor } from '../sensor/sensor.js';
import { findCgroup2Mount, freezeCgroup, levelOf, wardenParent } from '../enforce/cgroup.js';
import { runningDaemon } from '../session/daemon-record.js';
import { bold, red, table } from './render.js';

export interface ProbeResult {
  probe: string;
  ok: boolean;
  detail: string;
  /** what Warden uses it for */
  role?: string;
}

const ROLES: Record<string, string> = {
  'bpf-tracepoint': 'not used: per-syscall tracepoints detach slowly (~35 ms each)',
  'bpf-tp-btf': 'process lifecycle (exec, fork, exit)',
  'bpf-raw-tracepoint': 'action monitoring (sys_enter / sys_exit)',
  'bpf-lsm': 'best enforcement: file, exec, connect, kill in the kernel',
  'bpf-fentry': 'tracing fast path',
  'bpf-kprobe': 'not used',
  'bpf-cgroup-connect4': 'network egress enforcement (fallback to BPF-LSM)',
  'bpf-cgroup-sendmsg4': 'UDP/DNS egress enforcement',
  'bpf-cgroup-connect-unix': 'Unix sockets outside the session refused (network.unix.allow)',
  'bpf-cgroup-bind4': 'binds to host-facing addresses refused (network.listen)',
  'bpf-cgroup-skb': "other hosts cannot call in to the session's listeners",
  'mount-ns': 'sealed room: protected paths bound read-only; outside Unix sockets masked',
  'pid-ns': 'sealed room: no pid outside the session can be named',
  'seccomp-notify': 'sealed room: the supervisor that refuses creating, moving or linking protected paths',
  landlock: 'launch floor: file and exec limits that survive the daemon',
  seccomp: 'launch floor: syscall filter',
  'fanotify-perm': 'file gate: permission decisions on protected paths',
  'fanotify-filesystem': 'file gate on whole filesystems',
  'file-gate': "the sensor's gate thread: decisions that wait on nothing else",
  'cgroup-freeze': 'quarantine a session',
  'cgroup-kill': 'end a session and everything it left behind',
};

function probeCgroup(): ProbeResult[] {
  let mount: string;
  try {
    mount = findCgroup2Mount();
  } catch (e) {
    return [{ probe: 'cgroup2', ok: false, detail: (e as Error).message }];
  }
  const out: ProbeResult[] = [{ probe: 'cgroup2', ok: true, detail: `mounted at ${mount}` }];
  const dir = join(wardenParent(mount), `doctor-${process.pid}`);
  try {
    mkdirSync(dir);
    freezeCgroup(dir, true);
    const frozen = /^frozen 1$/m.test(readFileSync(join(dir, 'cgroup.events'), 'utf8'));
    freezeCgroup(dir, false);
    out.push({ probe: 'cgroup-freeze', ok: frozen, detail: frozen ? 'cgroup.freeze works' : 'did not freeze' });
    const hasKill = existsSync(join(dir, 'cgroup.kill'));
    out.push({ probe: 'cgroup-kill', ok: hasKill, detail: hasKill ? 'cgroup.kill present' : 'kernel older than 5.14' });
  } catch (e) {
    out.push({ probe: 'cgroup-freeze', ok: false, detail: (e as Error).message });
  } finally {
    if (existsSync(dir)) rmdirSync(dir);
  }
  return out;
}

/** A session number no session has: the gate rule the probe adds speaks to nobody. */
const PROBE_SESSION = 0xfffffff0;

async function probeSensor(cfg: Config): Promise<ProbeResult[]> {
  const mount = findCgroup2Mount();
  const sensor = new Sensor({
    bin: cfg.sensorBin,
    sessionLevel: levelOf(mount, wardenParent(mount)) + 1,
    ringbufMb: 1,
    gateDeadlineMs: cfg.gateDeadlineMs,
    onEvent: () => undefined,
  });
  const out: ProbeResult[] = [];
  try {
    const info = await sensor.start();
    await sensor.barrier();
    const lsm = info.lsm ? 'its BPF-LSM programs loaded' : 'its BPF-LSM programs were refused';
    out.push({
      probe: 'warden-sensor',
      ok: true,
      detail: `${info.programs} programs attached, ring buffer works; ${lsm}`,
    });
    out.push(await probeGate(sensor));
  } catch (e) {
    out.push({ probe: 'warden-sensor', ok: false, detail: (e as Error).message });
  } finally {
    sensor.stop();
  }
  return out;
}

/** The gate answers a process outside every session (this one) at once, on its own thread. */
async function probeGate(sensor: Sensor): Promise<ProbeResult> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-doctor-'));
  const file = join(dir, 'gated');
  writeFileSync(file, 'probe\n');
  try {
    await sensor.gateAdd({ session: PROBE_SESSION, access: Gate.READ, rule: 0, path: file, base: file, depth: 0 });
    const t0 = process.hrtime.bigint();
    readFileSync(file);
    const us = Number(process.hrtime.bigint() - t0) / 1000;
    await sensor.barrier();
    const g = sensor.stats.gate;
    const ok = g.outsiders > 0n;
    return {
      probe: 'file-gate',
      ok,
      detail: ok
        ? `answered an outsider's open in ${us.toFixed(0)} µs on its own thread (${g.realtime ? 'SCHED_FIFO' : 'not real-time: SCHED_FIFO refused'}); decision deadline ${g.deadlineMs} ms`
        : 'the gate did not see the probe open',
    };
  } catch (e) {
    return { probe: 'file-gate', ok: false, detail: (e as Error).message };
  } finally {
    await sensor.gateClear(PROBE_SESSION).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The running daemon's gate: how often it ran late, and its longest waits. */
async function daemonGate(cfg: Config): Promise<string | undefined> {
  const daemon = runningDaemon(cfg);
  if (!daemon) return undefined;
  try {
    const token = readFileSync(tokenFile(cfg), 'utf8').trim();
    const res = await fetch(`${daemon.url}/api/metrics`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(3000),
    });
    const m = new Map<string, number>();
    for (const line of (await res.text()).split('\n')) {
      const hit = /^(warden_gate_[a-z_]+) (\S+)$/.exec(line);
      if (hit?.[1] && hit[2]) m.set(hit[1], Number(hit[2]));
    }
    const n = (k: string): number => m.get(`warden_gate_${k}`) ?? 0;
    return (
      `${n('answered_total')} opens answered (${n('outsiders_total')} outsiders), ` +
      `${n('late_denied_total')} session opens refused past the deadline, ${n('late_outsiders_total')} outsiders answered late, ` +
      `longest session wait ${(n('max_wait_seconds') * 1000).toFixed(1)} ms, ${n('report_drops_total')} reports dropped`
    );
  } catch (e) {
    return `cannot read its metrics: ${(e as Error).message}`;
  }
}

async function probeKernel(cfg: Config): Promise<ProbeResult[]> {
  const bin = join(cfg.root, 'sensor', 'build', 'warden-probe');
  if (!existsSync(bin)) return [{ probe: 'warden-probe', ok: false, detail: `${bin} is not built (make -C sensor)` }];
  const { stdout } = await promisify(execFile)(bin, [findCgroup2Mount()]);
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ProbeResult);
}

export async function probeAll(cfg: Config): Promise<ProbeResult[]> {
  const root = process.getuid?.() === 0;
  const results: ProbeResult[] = [
    { probe: 'root', ok: root, detail: root ? 'running as root' : 'BPF, cgroups and fanotify need root' },
    {
      probe: 'kernel-btf',
      ok: existsSync('/sys/kernel/btf/vmlinux'),
      detail: existsSync('/sys/kernel/btf/vmlinux')
        ? '/sys/kernel/btf/vmlinux (CO-RE works)'
        : 'no BTF: CO-RE programs cannot load',
    },
  ];
  if (!root) return results;
  results.push(...probeCgroup(), ...(await probeKernel(cfg)), ...(await probeSensor(cfg)));
  return results.map((r) => ({ ...r, role: ROLES[r.probe] ?? r.role }));
}

/** Prints the probes; returns the exit code (1 when monitoring cannot work). */
export async function runDoctor(cfg: Config, json: boolean): Promise<number> {
  const results = await probeAll(cfg);
  const byName = new Map(results.map((r) => [r.probe, r]));
  const monitoring = ['root', 'kernel-btf', 'cgroup2', 'warden-sensor'].every((p) => byName.get(p)?.ok);
  if (json) {
    for (const r of results) process.stdout.write(JSON.stringify(r) + '\n');
    return monitoring ? 0 : 1;
  }
  const rows = [['MECHANISM', 'WORKS', 'DETAIL', 'USED FOR']];
  for (const r of results) rows.push([r.probe, r.ok ? 'yes' : red('no'), r.detail, r.role ?? '']);
  console.log(table(rows));
  const ok = (p: string): boolean => byName.get(p)?.ok === true;
  const rungs: Array<[string, string]> = [
    [
      'network',
      ok('bpf-lsm')
        ? 'BPF-LSM socket_connect + cgroup sock_addr'
        : ok('bpf-cgroup-connect4')
          ? 'cgroup connect/sendmsg programs'
          : '',
    ],
    [
      'local channels',
      ok('bpf-cgroup-connect-unix') ? 'cgroup connect_unix/sendmsg_unix + masks in the mount namespace' : '',
    ],
    ['listeners', ok('bpf-cgroup-bind4') && ok('bpf-cgroup-skb') ? 'cgroup bind4/6 + cgroup_skb ingress' : ''],
    ['files (allow-lists)', ok('landlock') ? 'Landlock launch floor' : ''],
    [
      'files (deny-lists)',
      ok('mount-ns') && ok('seccomp-notify') && ok('fanotify-perm')
        ? 'read-only binds + supervisor (writes, renames, links, new paths); fanotify gate (reads)'
        : ok('fanotify-perm')
          ? 'fanotify permission gate in the sensor (opens only)'
          : '',
    ],
    [
      'exec',
      ok('landlock') && ok('fanotify-perm') ? 'Landlock execute + fanotify exec gate (by inode), memfd_noexec' : '',
    ],
    [
      'tamper',
      ok('seccomp') && ok('landlock')
        ? (ok('pid-ns') ? 'private PID namespace, ' : '') +
          'capability drop, seccomp, Landlock scopes' +
          (ok('bpf-lsm') ? ', BPF-LSM task_kill' : '')
        : '',
    ],
    ['quarantine', ok('cgroup-freeze') && ok('cgroup-kill') ? 'cgroup.freeze / cgroup.kill' : ''],
  ];
  console.log(
    `\n${bold('monitoring')}: ${monitoring ? 'active (tp_btf syscall and scheduler hooks, one ring buffer)' : red('unavailable: see above')}`,
  );
  console.log(
    `${bold('enforcement')} (best available here${ok('bpf-lsm') ? '' : '; BPF-LSM refused by this kernel'}):`,
  );
  for (const [what, how] of rungs) console.log(`  ${what.padEnd(20)} ${how || red('unavailable')}`);
  const gate = await daemonGate(cfg);
  if (gate) console.log(`${bold("the daemon's file gate")}: ${gate}`);
  return monitoring ? 0 : 1;
}
