/**
 * The file gate's rules for a session: denyRead, denyWrite and exec.deny,
 * which Landlock (allow-only) cannot express, go to fanotify permission
 * marks decided in the C sensor (sensor/loader/gate.c).
 */
import type { CompiledPolicy, PathRule } from '../policy/compile.js';
import { statSync } from 'node:fs';
import { Gate, LsmFileKey, LsmFileVal, MapId } from '../sensor/layout.js';
import { Writer } from '../sensor/encode.js';
import type { Sensor } from '../sensor/sensor.js';
import { toFnmatch } from './floor.js';

export interface GateRule {
  access: number;
  /** index into GateRules.ids */
  rule: number;
  path: string;
  base: string;
  depth: number;
}

function gateRule(r: PathRule, access: number, index: number): GateRule {
  const literal = r.base === r.glob;
  if (literal) return { access, rule: index, path: r.glob, base: r.glob, depth: 0 };
  const rest = r.glob.slice(r.base.length).split('/').filter(Boolean);
  const depth = r.glob.includes('**') ? 0 : Math.max(rest.length - 1, 0);
  return { access: access | Gate.GLOB, rule: index, path: toFnmatch(r.glob), base: r.base, depth };
}

/** The rule id a gate decision about Warden's own files carries. */
export const SELF_GATE_RULE = 'warden.self-protection';

/** Warden's own paths the gate guards whatever the policy: from writes, or (its secrets) from any open. */
export interface SelfPaths {
  write: string[];
  read: string[];
}

export function compileGate(
  policy: CompiledPolicy | null,
  selfPaths: SelfPaths = { write: [], read: [] },
): { rules: GateRule[]; ids: string[] } {
  const rule = (p: string): PathRule =>
    ({ id: SELF_GATE_RULE, pattern: p, glob: p, base: p, except: [], matches: () => false }) as PathRule;
  const self: Array<[PathRule, number]> = [
    ...selfPaths.write.map((p): [PathRule, number] => [rule(p), Gate.WRITE]),
    ...selfPaths.read.map((p): [PathRule, number] => [rule(p), Gate.READ | Gate.WRITE]),
  ];
  const all: Array<[PathRule, number]> = [...self];
  if (policy?.mode === 'enforce')
    all.push(
      ...policy.files.denyRead.map((r): [PathRule, number] => [r, Gate.READ | Gate.WRITE]),
      ...policy.files.denyWrite.map((r): [PathRule, number] => [r, Gate.WRITE]),
      /* read too: a program that can be read can be copied, or run through ld.so */
      ...policy.exec.deny.map((r): [PathRule, number] => [r, Gate.EXEC | Gate.READ]),
    );
  /* a `**\/` glob names no directory to mark: the launch floor holds it (read-only binds, the supervisor) */
  const marked = all.filter(([r]) => r.glob.startsWith('/'));
  /* a rule's exceptions go first, so its marking already knows them */
  const rules = marked.flatMap(([r, access], i) => [
    ...r.except.map((path) => ({ access: access | Gate.EXCEPT, rule: i, path, base: path, depth: 0 })),
    gateRule(r, access, i),
  ]);
  return { rules, ids: marked.map(([r]) => r.id) };
}

/** Installs a session's gate rules; returns the rule ids, indexed as the sensor reports them. */
export async function installGate(
  sensor: Sensor,
  session: number,
  policy: CompiledPolicy | null,
  selfPaths?: SelfPaths,
): Promise<string[]> {
  const { rules, ids } = compileGate(policy, selfPaths);
  /* sent at once, carried out in order (a rule's exceptions before it): one round trip */
  await Promise.all(rules.map((r) => sensor.gateAdd({ session, ...r })));
  return ids;
}

/** userspace st_dev (new_encode_dev) to the kernel's s_dev (MAJOR << 20 | MINOR) */
function kernelDev(stDev: number): number {
  const major = (stDev >>> 8) & 0xfff;
  const minor = (stDev & 0xff) | ((stDev >>> 12) & 0xfff00);
  return ((major << 20) | minor) >>> 0;
}

/**
 * Where the kernel loaded the BPF-LSM object: the same rules by inode, for
 * the file_open, exec, unlink and rename hooks (which also stop a rename over
 * a protected file). Literal paths only: a pattern stays with the gate.
 * Returns the keys written, to remove them later.
 */
export async function installLsmFiles(
  sensor: Sensor,
  session: number,
  policy: CompiledPolicy | null,
  selfPaths?: SelfPaths,
): Promise<Uint8Array[]> {
  const keys: Uint8Array[] = [];
  for (const r of compileGate(policy, selfPaths).rules) {
    if (r.access & Gate.GLOB) continue;
    let st;
    try {
      st = statSync(r.base);
    } catch {
      continue; /* not there: nothing to name by inode; the gate watches for it */
    }
    const key = new Writer(LsmFileKey)
      .set('ino', BigInt(st.ino))
      .set('dev', kernelDev(st.dev))
      .set('session', session).bytes;
    const val = new Writer(LsmFileVal).set('access', r.access).set('rule', r.rule).bytes;
    await sensor.mapUpdate(MapId.LSM_FILES, key, val);
    keys.push(key);
  }
  return keys;
}

export async function removeLsmFiles(sensor: Sensor, keys: Uint8Array[]): Promise<void> {
  for (const k of keys) await sensor.mapUpdate(MapId.LSM_FILES, k, new Uint8Array(0), true);
}
