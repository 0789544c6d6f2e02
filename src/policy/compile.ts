/**
 * Turns a policy into what each enforcement mechanism needs: concrete paths
 * for Landlock and the file gate, address rules for the network maps, and
 * named rules for decisions. Every rule keeps an id (`files.denyRead[2]`) so
 * each decision can say which rule made it.
 */
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import picomatch from 'picomatch';
import { parseNetTarget, type NetTarget, type Policy } from './schema.js';
import { compileToolRules, type ToolRule } from './tools.js';

export type Access = 'read' | 'write' | 'exec';

export interface PathRule {
  id: string;
  pattern: string;
  /** the expanded pattern (absolute, may hold globs) */
  glob: string;
  /** the longest leading part with no glob: what a kernel mark or Landlock rule can name */
  base: string;
  matches: (path: string) => boolean;
}

export interface NetRule {
  id: string;
  target: NetTarget;
}

export interface CompiledPolicy {
  name: string;
  mode: Policy['mode'];
  onViolation: Policy['onViolation'];
  workspace: string;
  files: { denyRead: PathRule[]; allowWrite: PathRule[] | null; denyWrite: PathRule[] };
  exec: { allow: PathRule[] | null; deny: PathRule[] };
  network: { allow: NetRule[] | null; deny: NetRule[] };
  tools: { allow: ToolRule[] | null; deny: ToolRule[]; checkActions: boolean };
  secrets: Policy['secrets'];
  /** the action the policy asks for on a detector's detections */
  detectionAction: (detector: string) => 'alert' | 'kill' | 'quarantine';
  source: Policy;
}

export interface ExpandContext {
  home?: string;
  workspace: string;
}

export function expandPattern(pattern: string, ctx: ExpandContext): string {
  const home = ctx.home ?? homedir();
  let p = pattern.replace(/\$\{workspace\}/g, ctx.workspace);
  if (p === '~' || p.startsWith('~/')) p = home + p.slice(1);
  return p;
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

function pathRule(id: string, pattern: string, ctx: ExpandContext): PathRule {
  const glob = expandPattern(pattern, ctx);
  const literal = !GLOB_CHARS.test(glob);
  const exact = literal ? resolve(glob) : glob;
  /* a plain path names itself and everything beneath it */
  const m = literal ? null : picomatch(glob, { dot: true });
  return {
    id,
    pattern,
    glob: exact,
    base: literal ? exact : globBase(glob),
    matches: literal ? (p) => p === exact || p.startsWith(exact === '/' ? '/' : `${exact}/`) : (p) => m?.(p) === true,
  };
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
      denyRead: rules(policy.files.denyRead, 'files.denyRead', ctx) ?? [],
      allowWrite: rules(policy.files.allowWrite, 'files.allowWrite', ctx),
      denyWrite: rules(policy.files.denyWrite, 'files.denyWrite', ctx) ?? [],
    },
    exec: {
      allow: rules(policy.exec.allow, 'exec.allow', ctx),
      deny: rules(policy.exec.deny, 'exec.deny', ctx) ?? [],
    },
    network: {
      allow: netRules(policy.network.allow, 'network.allow'),
      deny: netRules(policy.network.deny, 'network.deny') ?? [],
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
