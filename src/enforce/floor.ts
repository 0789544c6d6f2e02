/**
 * The launch floor for a session: what warden-launch applies before exec
 * (see sensor/launcher/floor.c). Derived from the policy, plus what keeps
 * Warden itself safe whatever the policy says: no writes to Warden's files,
 * its state, /proc or /sys (cgroups, bpffs, sysctls), no signals out of the
 * session, and the seccomp filter and capability drop.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { CompiledPolicy, PathRule } from '../policy/compile.js';
import { LOADERS } from './exec-content.js';

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

/* the supervisor names a path by its directory's real path: a file that may not exist yet, too */
const realName = (p: string): string => join(real(dirname(p)), basename(p));

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

/** picomatch's `**` is fnmatch's `*` without FNM_PATHNAME: it may over-match, never under-match. */
export function toFnmatch(glob: string): string {
  return glob.replace(/\*\*\/?/g, '*');
}

/** How many entries a glob rule's base is searched for existing matches, at most. */
export const MATCH_BUDGET = 4000;

/** Existing paths a glob rule matches, searched from its base (bounded; a match is not descended into). */
export function existingMatches(rule: PathRule, roots = [rule.base], budget = MATCH_BUDGET): string[] {
  const found: string[] = [];
  const depth = rule.glob.includes('**') ? 32 : rule.glob.split('/').length - rule.base.split('/').length;
  let seen = 0;
  const walk = (dir: string, level: number): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (++seen > budget) return;
      const p = join(dir, name);
      if (rule.matches(p)) found.push(p);
      else if (level < depth) {
        try {
          if (lstatSync(p).isDirectory()) walk(p, level + 1);
        } catch {
          /* gone meanwhile */
        }
      }
    }
  };
  for (const base of roots) walk(base, 1);
  return found;
}

function searchRoots(policy: CompiledPolicy | null): string[] {
  const bases = policy?.files.allowWrite?.map((r) => r.base).filter((b) => b !== '/') ?? [];
  return [...new Set([policy?.workspace, ...bases].filter((b): b is string => !!b))];
}

/**
 * The pathname Unix sockets bound on this machine now (/proc/net/unix) that the
 * policy does not allow: masked in the session, so no route reaches them (a
 * symlink, a relative name, a moved parent all end at the mask).
 */
export function outsideSockets(allow: string[], table = '/proc/net/unix'): string[] {
  let text: string;
  try {
    text = readFileSync(table, 'utf8');
  } catch {
    return [];
  }
  const found = new Set<string>();
  for (const line of text.split('\n').slice(1)) {
    const path = line.trim().split(/\s+/).slice(7).join(' ');
    if (!path.startsWith('/') || allow.some((a) => beneath(path, a))) continue;
    try {
      if (lstatSync(path).isSocket()) found.add(path);
    } catch {
      /* unlinked since it was bound */
    }
  }
  return [...found].sort();
}

export interface SealPlan {
  /** existing protected paths, bound read-only over themselves (parents first) */
  ro: string[];
  /**
   * masked in the session (read-only, empty): Unix sockets outside it the policy does not allow, and
   * existing matches of `**\/` denyRead and exec.deny globs, which the file gate cannot mark
   */
  masks: string[];
  /** places inside a read-only path that a rule's exception keeps writable: bound again, read-write */
  rw: string[];
  /** never created, moved or linked by the session: literal paths and fnmatch globs, each but its exceptions */
  guards: Array<{ pattern: string; glob: boolean; pathname?: boolean; except: string[] }>;
  /** the denied programs that exist: their bytes are refused a run under any name (the relay checks each exec) */
  execContent: string[];
  /** guarded git config files whose changes the supervisor judges by content (real paths) */
  gitConfigs: string[];
  /** guarded files the agent program itself may change, its tool processes not (real paths) */
  agentFiles: string[];
}

/** The regular files an exec.deny rule names now, by their real paths. */
function deniedPrograms(policy: CompiledPolicy): string[] {
  const found = new Set<string>();
  for (const r of policy.exec.deny) {
    const roots = r.glob.startsWith('**') ? searchRoots(policy) : [r.base];
    for (const p of r.base === r.glob ? [r.glob] : existingMatches(r, roots)) {
      try {
        if (statSync(p).isFile()) found.add(real(p));
      } catch {
        /* not there: nothing to compare with */
      }
    }
  }
  return [...found].sort();
}

/**
 * The protected set of a sealed session, as data: every path the agent may
 * not change (denyWrite, denyRead, Warden's own), those that exist made
 * read-only in its mount namespace, all of them (existing or not) guarded
 * against being created, moved or linked.
 */
/* parents before what is beneath them: an inner bind lands on the outer one */
const byDepth = (a: string, b: string): number => a.split('/').length - b.split('/').length || a.localeCompare(b);

export function sealPlan({ policy, protect }: FloorInput): SealPlan {
  const enforce = policy?.mode === 'enforce';
  const rules: PathRule[] = enforce ? [...policy.files.denyWrite, ...policy.files.denyRead] : [];
  /* reads and runs the gate cannot see: `**\/` globs name no directory to mark */
  const unmarkable = enforce
    ? [...policy.files.denyRead, ...policy.exec.deny].filter((r) => r.glob.startsWith('**'))
    : [];
  const masks = new Set<string>();
  for (const r of unmarkable) for (const m of existingMatches(r, searchRoots(policy))) masks.add(m);
  const literal = new Set<string>();
  /* fnmatch pattern -> whether its '*' stops at '/' (picomatch's does, unless it was '**') */
  const globs = new Map<string, boolean>();
  const ro = new Set<string>();
  const rw = new Set<string>();
  const except = new Map<string, string[]>();
  for (const p of protect.filter((p) => p !== '/proc' && p !== '/sys')) literal.add(p);
  for (const r of rules) {
    const key = r.base === r.glob ? r.glob : toFnmatch(r.glob);
    if (r.except.length) except.set(key, [...(except.get(key) ?? []), ...r.except]);
    if (r.base === r.glob) {
      literal.add(r.glob);
      for (const e of r.except) if (beneath(e, r.glob) && existsSync(e)) rw.add(real(e));
    } else {
      const k = toFnmatch(r.glob);
      globs.set(k, (globs.get(k) ?? true) && !r.glob.includes('**')); /* crossing '/' wins: it covers more */
      /* `**\/x` anywhere: searched for where the agent can write (the workspace, allowWrite bases) */
      const anywhere = r.glob.startsWith('**');
      for (const m of existingMatches(r, anywhere ? searchRoots(policy) : [r.base])) if (!masks.has(m)) ro.add(m);
    }
  }
  for (const p of literal) {
    if (existsSync(p)) ro.add(real(p));
    if (real(p) !== p) literal.add(real(p)); /* a symlinked path: its target is what a bind protects */
  }
  return {
    ro: [...ro].sort(byDepth),
    rw: [...rw].sort(byDepth),
    masks: enforce ? [...masks, ...outsideSockets(policy.network.unixAllow)] : [],
    guards: [
      ...[...literal].map((pattern) => ({ pattern, glob: false, except: except.get(pattern) ?? [] })),
      ...[...globs].map(([pattern, pathname]) => ({
        pattern,
        glob: true,
        pathname,
        except: except.get(pattern) ?? [],
      })),
    ],
    execContent: enforce ? deniedPrograms(policy) : [],
    gitConfigs: enforce
      ? [...new Set(policy.files.denyWrite.filter((r) => r.allowChanges === 'git-config').map((r) => realName(r.glob)))]
      : [],
    /* only where the session may write at all: the held file is no way around allowWrite */
    agentFiles: enforce
      ? [...new Set(policy.files.denyWrite.filter((r) => r.scope === 'tools').map((r) => realName(r.glob)))].filter(
          (p) => writableBases(policy).some((b) => beneath(p, b)),
        )
      : [],
  };
}

export function buildFloor({ policy, protect }: FloorInput, plan = sealPlan({ policy, protect })): string {
  const lines = ['# warden launch floor', 'caps', 'seccomp', 'scope signal', 'scope abstract', 'handle write'];
  lines.push('seal', 'memfd noexec');
  for (const p of plan.ro) lines.push(`ro ${p}`);
  for (const p of plan.rw) lines.push(`rw ${p}`);
  for (const p of plan.masks) lines.push(`mask ${p}`);
  for (const p of plan.execContent) lines.push(`exec-content ${p}`);
  for (const p of plan.gitConfigs) lines.push(`git-config ${p}`);
  for (const p of plan.agentFiles) lines.push(`agent-file ${p}`);
  for (const g of plan.guards) {
    lines.push(`${g.glob ? (g.pathname ? 'guard-glob-path' : 'guard-glob') : 'guard'} ${g.pattern}`);
    for (const e of g.except) lines.push(`guard-except ${e}`);
  }
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
    /* execve opens a program's ELF interpreter for execute: an exec allow-list must name it */
    for (const i of LOADERS) if (existsSync(i)) lines.push(`exec ${real(i)}`);
  }
  return lines.join('\n') + '\n';
}
