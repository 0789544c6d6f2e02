/**
 * The launch floor for a session: what warden-launch applies before exec
 * (see sensor/launcher/floor.c). Derived from the policy, plus what keeps
 * Warden itself safe whatever the policy says: no writes to Warden's files,
 * its state, /proc or /sys (cgroups, bpffs, sysctls), no signals out of the
 * session, and the seccomp filter and capability drop.
 */
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { CompiledPolicy } from '../policy/compile.js';

/** Devices every program writes to; writable under any policy. */
export const DEVICES = [
  '/dev/null',
  '/dev/zero',
  '/dev/full',
  '/dev/tty',
  '/dev/pts',
  '/dev/ptmx',
  '/dev/random',
  '/dev/urandom',
];

/** ELF interpreters: execve opens them for execute, so an exec allow-list must name them. */
const INTERPRETERS = ['/lib64/ld-linux-x86-64.so.2', '/lib/ld-linux-aarch64.so.1', '/lib/ld-linux.so.2'];

export interface FloorInput {
  policy: CompiledPolicy | null;
  /** paths the agent may never write, whatever the policy: Warden's own */
  protect: string[];
}

const beneath = (path: string, dir: string): boolean => path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);

/**
 * Landlock allows, it cannot deny: "write under `base` except `protect`" becomes
 * rules for every entry on the way down to each protected path, minus that path.
 * Entries created later directly in those intermediate directories stay read-only.
 */
export function writableExcept(base: string, protect: string[]): string[] {
  const inside = protect.filter((p) => beneath(p, base));
  if (inside.some((p) => p === base)) return [];
  if (inside.length === 0) return [base];
  let entries: string[];
  try {
    entries = readdirSync(base);
  } catch {
    return [];
  }
  return entries.flatMap((name) => writableExcept(join(base, name), inside));
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

function writableBases(policy: CompiledPolicy | null): string[] {
  const enforce = policy?.mode === 'enforce';
  return (enforce && policy.files.allowWrite ? policy.files.allowWrite.map((r) => r.base) : ['/']).map(real);
}

/**
 * Protected paths inside a writable place narrower than `/` (Warden cloned in
 * ~ or /tmp): carving them out with Landlock would make that place refuse new
 * entries (an agent could not create a file in ~), so the file gate guards
 * them instead. Returns those paths.
 */
export function gatedSelfProtection({ policy, protect }: FloorInput): string[] {
  const bases = writableBases(policy).filter((b) => b !== '/');
  return [...new Set(protect.map(real))].filter((p) => bases.some((b) => beneath(p, b)));
}

export function buildFloor({ policy, protect }: FloorInput): string {
  const lines = ['# warden launch floor', 'caps', 'seccomp', 'scope signal', 'scope abstract', 'handle write'];
  const enforce = policy?.mode === 'enforce';
  const gated = new Set(gatedSelfProtection({ policy, protect }));
  const guarded = [...new Set(protect.map(real))].filter((p) => !gated.has(p));
  const writable = new Set<string>();
  for (const base of [...writableBases(policy), ...DEVICES])
    for (const p of writableExcept(base, guarded)) writable.add(p);
  for (const p of writable) lines.push(`write ${p}`);
  if (enforce && policy.exec.allow) {
    lines.push('handle exec');
    for (const r of policy.exec.allow) lines.push(`exec ${real(r.base)}`);
    for (const i of INTERPRETERS) if (existsSync(i)) lines.push(`exec ${real(i)}`);
  }
  return lines.join('\n') + '\n';
}
