/**
 * Turns a policy into what each enforcement mechanism needs: concrete paths
 * for Landlock and the file gate, address rules for the network maps, and
 * named rules for decisions. Every rule keeps an id (`files.denyRead[2]`) so
 * each decision can say which rule made it.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import picomatch from 'picomatch';
import { parseNetTarget, type NetTarget, type Policy } from './schema.js';
import { expandPattern, type ExpandContext } from './expand.js';
import { compileToolRules, type ToolRule } from './tool-rules.js';

export type Access = 'read' | 'write' | 'exec';

export interface PathRule {
  id: string;
  pattern: string;
  /** the expanded pattern (absolute, may hold globs) */
  glob: string;
  /** the longest leading part with no glob: what a kernel mark or Landlock rule can name */
  base: string;
  /** places the rule does not cover, each with what is beneath it (expanded, absolute) */
  except: string[];
  matches: (path: string) => boolean;
  /** changes judged by content (a denyWrite rule): git-config, see sensor/launcher/gitconfig.c */
  allowChanges?: 'git-config';
  /** tools: the rule holds for the agent's tool processes, not the agent program (a denyWrite rule; agentfile.c) */
  scope?: 'tools';
}

export interface NetRule {
  id: string;
  target: NetTarget;
  /** what a deny rule says when it refuses (Warden's own rules); else it says the target is never reachable */
  reason?: string;
}

export interface CompiledPolicy {
  name: string;
  mode: Policy['mode'];
  onViolation: Policy['onViolation'];
  workspace: string;
  files: { denyRead: PathRule[]; allowWrite: PathRule[] | null; denyWrite: PathRule[] };
  exec: { allow: PathRule[] | null; deny: PathRule[] };
  network: {
    allow: NetRule[] | null;
    deny: NetRule[];
    /** pathname Unix sockets reachable besides the session's own (each path and beneath it) */
    unixAllow: string[];
    listen: 'local' | 'any';
  };
  tools: { allow: ToolRule[] | null; deny: ToolRule[]; checkActions: boolean };
  secrets: Policy['secrets'];
  /** the action the policy asks for on a detector's detections */
  detectionAction: (detector: string) => 'alert' | 'kill' | 'quarantine';
  source: Policy;
}

const GLOB_CHARS = /[*?[\]{}()!]/;

/** The directory part before any glob character: `/a/b/**\/c` -> `/a/b`. */
export function globBase(glob: string): string {
  const parts = glob.split('/');
  const fixed: string[] = [];
  for (const part of parts) {
    if (GLOB_CHARS.test(part)) break;
    fixed.push(part);
  }
  const base = fixed.join('/');
  return base === '' ? '/' : base;
}

function pathRule(id: string, pattern: string, ctx: ExpandContext, exceptions: string[] = []): PathRule {
  const glob = expandPattern(pattern, ctx);
  const literal = !GLOB_CHARS.test(glob);
  const exact = literal ? resolve(glob) : glob;
  const except = exceptions.map((e) => resolve(expandPattern(e, ctx)));
  const excepted = (p: string): boolean => except.some((e) => p === e || p.startsWith(e === '/' ? '/' : `${e}/`));
  /* a plain path names itself and everything beneath it */
  const m = literal ? null : picomatch(glob, { dot: true });
  return {
    id,
    pattern,
    glob: exact,
    base: literal ? exact : globBase(glob),
    except,
    matches: (p) =>
      (literal ? p === exact || p.startsWith(exact === '/' ? '/' : `${exact}/`) : m?.(p) === true) && !excepted(p),
  };
}

type ProtectedEntry = NonNullable<Policy['files']['denyWrite']>[number];

/* a rule written as an object: its exceptions, and whether it holds only for a path that exists now */
function protectedRules(list: ProtectedEntry[] | undefined, key: string, ctx: ExpandContext): PathRule[] {
  return (list ?? []).flatMap((entry, i) => {
    const id = `${key}[${i}]`;
    if (typeof entry === 'string') return [pathRule(id, entry, ctx)];
    /* a read rule changes nothing: neither judged changes nor the agent's own writes apply to it */
    const write = key === 'files.denyWrite';
    const rule = {
      ...pathRule(id, entry.path, ctx, entry.except),
      allowChanges: write ? entry.allowChanges : undefined,
      ...(write && entry.scope === 'tools' ? { scope: 'tools' as const } : {}),
    };
    return entry.ifExists && !existsSync(rule.glob) ? [] : [rule];
  });
}

const rules = (list: string[] | undefined, key: string, ctx: ExpandContext): PathRule[] | null =>
  list === undefined ? null : list.map((p, i) => pathRule(`${key}[${i}]`, p, ctx));

function netRules(list: string[] | undefined, key: string): NetRule[] | null {
  if (list === undefined) return null;
  return list.map((text, i) => {
    const target = parseNetTarget(text);
    if (typeof target === 'string') throw new Error(`${key}[${i}]: ${target}`); /* schema already checked */
    return { id: `${key}[${i}]`, target };
  });
}

export function compilePolicy(policy: Policy, ctx: ExpandContext): CompiledPolicy {
  return {
    name: policy.metadata.name,
    mode: policy.mode,
    onViolation: policy.onViolation,
    workspace: ctx.workspace,
    files: {
      denyRead: protectedRules(policy.files.denyRead, 'files.denyRead', ctx),
      allowWrite: rules(policy.files.allowWrite, 'files.allowWrite', ctx),
      denyWrite: protectedRules(policy.files.denyWrite, 'files.denyWrite', ctx),
    },
    exec: {
      allow: rules(policy.exec.allow, 'exec.allow', ctx),
      deny: rules(policy.exec.deny, 'exec.deny', ctx) ?? [],
    },
    network: {
      allow: netRules(policy.network.allow, 'network.allow'),
      deny: netRules(policy.network.deny, 'network.deny') ?? [],
      unixAllow: policy.network.unix.allow.map((p) => resolve(expandPattern(p.replace(/\/\*\*$/, ''), ctx))),
      listen: policy.network.listen,
    },
    tools: {
      allow: compileToolRules(policy.tools.allow, 'tools.allow', ctx),
      deny: compileToolRules(policy.tools.deny, 'tools.deny', ctx) ?? [],
      checkActions: policy.tools.checkActions,
    },
    secrets: policy.secrets,
    detectionAction: (id) => {
      const entries = Object.entries(policy.detections.actions);
      const exact = entries.find(([k]) => k === id);
      const glob = entries.find(([k]) => k.includes('*') && picomatch.isMatch(id, k));
      return (exact ?? glob)?.[1] ?? 'alert';
    },
    source: policy,
  };
}
