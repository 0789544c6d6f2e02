/**
 * The file gate's rules for a session: denyRead, denyWrite and exec.deny,
 * which Landlock (allow-only) cannot express, go to fanotify permission
 * marks decided in the C sensor (sensor/loader/gate.c).
 */
import type { CompiledPolicy, PathRule } from '../policy/compile.js';
import { Gate } from '../sensor/layout.js';
import type { Sensor } from '../sensor/sensor.js';

export interface GateRule {
  access: number;
  /** index into GateRules.ids */
  rule: number;
  path: string;
  base: string;
  depth: number;
}

/** picomatch's `**` is fnmatch's `*` without FNM_PATHNAME: it may over-match, never under-match. */
function toFnmatch(glob: string): string {
  return glob.replace(/\*\*\/?/g, '*');
}

function gateRule(r: PathRule, access: number, index: number): GateRule {
  const literal = r.base === r.glob;
  if (literal) return { access, rule: index, path: r.glob, base: r.glob, depth: 0 };
  const rest = r.glob.slice(r.base.length).split('/').filter(Boolean);
  const depth = r.glob.includes('**') ? 0 : Math.max(rest.length - 1, 0);
  return { access: access | Gate.GLOB, rule: index, path: toFnmatch(r.glob), base: r.base, depth };
}

export function compileGate(policy: CompiledPolicy): { rules: GateRule[]; ids: string[] } {
  const all: Array<[PathRule, number]> = [
    ...policy.files.denyRead.map((r): [PathRule, number] => [r, Gate.READ | Gate.WRITE]),
    ...policy.files.denyWrite.map((r): [PathRule, number] => [r, Gate.WRITE]),
    ...policy.exec.deny.map((r): [PathRule, number] => [r, Gate.EXEC]),
  ];
  return { rules: all.map(([r, access], i) => gateRule(r, access, i)), ids: all.map(([r]) => r.id) };
}

/** Installs a session's gate rules; returns the rule ids, indexed as the sensor reports them. */
export async function installGate(sensor: Sensor, session: number, policy: CompiledPolicy): Promise<string[]> {
  const { rules, ids } = compileGate(policy);
  for (const r of rules) await sensor.gateAdd({ session, ...r });
  return ids;
}
