/**
 * `warden doctor`: probes each mechanism in DESIGN.md's enforcement ladder by
 * really trying it (load, attach, mark, freeze), and says what Warden uses.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Config } from '../config.js';
import { Sensor } from '../sensor/sensor.js';
import { findCgroup2Mount, freezeCgroup, levelOf, wardenParent } from '../session/cgroup.js';
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
  landlock: 'launch floor: file and exec limits that survive the daemon',
  seccomp: 'launch floor: syscall filter',
  'fanotify-perm': 'file gate: permission decisions on protected paths',
  'fanotify-filesystem': 'file gate on whole filesystems',
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

async function probeSensor(cfg: Config): Promise<ProbeResult> {
  const mount = findCgroup2Mount();
  const sensor = new Sensor({
    bin: cfg.sensorBin,
    sessionLevel: levelOf(mount, wardenParent(mount)) + 1,
    ringbufMb: 1,
    onEvent: () => undefined,
  });
  try {
    const info = await sensor.start();
    await sensor.barrier();
    const lsm = info.lsm ? 'its BPF-LSM programs loaded' : 'its BPF-LSM programs were refused';
    return {
      probe: 'warden-sensor',
      ok: true,
      detail: `${info.programs} programs attached, ring buffer works; ${lsm}`,
    };
  } catch (e) {
    return { probe: 'warden-sensor', ok: false, detail: (e as Error).message };
  } finally {
    sensor.stop();
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
  results.push(...probeCgroup(), ...(await probeKernel(cfg)), await probeSensor(cfg));
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
    ['files (allow-lists)', ok('landlock') ? 'Landlock launch floor' : ''],
    ['files (deny-lists)', ok('fanotify-perm') ? 'fanotify permission gate in the sensor' : ''],
    ['exec', ok('landlock') && ok('fanotify-perm') ? 'Landlock execute + fanotify exec gate' : ''],
    [
      'tamper',
      ok('seccomp') && ok('landlock')
        ? 'capability drop, seccomp, Landlock scopes' + (ok('bpf-lsm') ? ', BPF-LSM task_kill' : '')
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
  return monitoring ? 0 : 1;
}
