/**
 * Tool-call rules: what the policy says of one agent tool call before it
 * runs. A call is matched by tool name and, where a rule gives them, by its
 * arguments; then (unless `checkActions` is off) what the call would do is
 * judged by the same files, exec and network rules the kernel enforces, so a
 * hook or the MCP proxy refuses early what the kernel would refuse anyway.
 */
import { isAbsolute, resolve } from 'node:path';
import picomatch from 'picomatch';
import type { CompiledPolicy, ExpandContext } from './compile.js';
import { expandPattern } from './compile.js';
import { decideConnect, decideFile, type Decision } from './evaluate.js';
import type { ToolRuleSpec } from './schema.js';

export interface ToolRule {
  id: string;
  text: string;
  matchesName: (name: string) => boolean;
  /** every constrained argument must be present and match one of its globs */
  matchesArgs: (input: unknown, cwd: string) => boolean;
  reason?: string;
}

/** What a tool call would do, as far as its arguments tell (see applayer/tool-actions). */
export interface ToolActions {
  reads: string[];
  writes: string[];
  execs: string[];
  hosts: Array<{ host: string; port?: number }>;
}

const escape = (s: string): string => s.replace(/[.+^${}()|[\]\\]/g, '\\$&');
/** Plain text globs: * is any text (slashes included), ? one character. */
function textGlob(glob: string): (v: string) => boolean {
  const re = new RegExp(`^${escape(glob).replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '[\\s\\S]')}$`);
  return (v) => re.test(v);
}

const isPathGlob = (g: string): boolean =>
  g.startsWith('/') || g.startsWith('~') || g.startsWith('${workspace}') || g.startsWith('**/');

function pathGlob(glob: string, ctx: ExpandContext): (v: string, cwd: string) => boolean {
  const expanded = expandPattern(glob, ctx);
  const literal = !/[*?[\]{}()!]/.test(expanded);
  const m = literal ? null : picomatch(expanded, { dot: true });
  return (v, cwd) => {
    const p = resolve(cwd, expandPattern(v, ctx));
    return literal ? p === expanded || p.startsWith(`${expanded.replace(/\/$/, '')}/`) : m?.(p) === true;
  };
}

function argText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function compileRule(spec: ToolRuleSpec, id: string, ctx: ExpandContext): ToolRule {
  const s = typeof spec === 'string' ? { tool: spec } : spec;
  const name = textGlob(s.tool);
  const args = Object.entries(s.args ?? {}).map(([arg, globs]) => {
    const list = (Array.isArray(globs) ? globs : [globs]).map((g) =>
      isPathGlob(g) ? pathGlob(g, ctx) : (v: string) => textGlob(g)(v),
    );
    return { arg, list };
  });
  return {
    id,
    text: typeof spec === 'string' ? spec : JSON.stringify(spec),
    matchesName: name,
    matchesArgs: (input, cwd) => {
      const obj = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
      return args.every(({ arg, list }) => {
        const v = argText(obj[arg]);
        return v !== undefined && list.some((m) => m(v, cwd));
      });
    },
    ...(s.reason ? { reason: s.reason } : {}),
  };
}

export function compileToolRules(list: ToolRuleSpec[] | undefined, key: string, ctx: ExpandContext): ToolRule[] | null {
  return list === undefined ? null : list.map((spec, i) => compileRule(spec, `${key}[${i}]`, ctx));
}

const denied = (rule: string, reason: string): Decision => ({ verdict: 'denied', rule, reason });

/** The first action of the call that the policy forbids, if any. */
function judgeActions(p: CompiledPolicy, a: ToolActions, cwd: string): Decision | undefined {
  const abs = (f: string): string => (isAbsolute(f) ? f : resolve(cwd, f));
  for (const f of a.reads) {
    const d = decideFile(p, abs(f), 'read');
    if (d.verdict === 'denied') return denied(d.rule, `reads ${f}: ${d.reason}`);
  }
  for (const f of a.writes) {
    const d = decideFile(p, abs(f), 'write');
    if (d.verdict === 'denied') return denied(d.rule, `writes ${f}: ${d.reason}`);
  }
  for (const f of a.execs) {
    const d = decideFile(p, abs(f), 'exec');
    if (d.verdict === 'denied') return denied(d.rule, `runs ${f}: ${d.reason}`);
  }
  for (const h of a.hosts) {
    const isIp = /^[\d.]+$|:/.test(h.host);
    const d = decideConnect(p, isIp ? h.host : '', h.port ?? 0, isIp ? [] : [h.host]);
    if (d.verdict === 'denied') return denied(d.rule, `reaches ${h.host}: ${d.reason}`);
  }
  return undefined;
}

/**
 * Decides one tool call. `cwd` resolves relative paths in its arguments.
 * Deny rules first, then the allow list, then what the call would do.
 */
export function decideToolCall(
  p: CompiledPolicy,
  call: { name: string; input: unknown; cwd: string },
  actions: ToolActions,
): Decision {
  const hit = (r: ToolRule): boolean => r.matchesName(call.name) && r.matchesArgs(call.input, call.cwd);
  const d = p.tools.deny.find(hit);
  if (d) return denied(d.id, d.reason ?? `${d.text} is never allowed`);
  if (p.tools.allow !== null && !p.tools.allow.some(hit)) {
    return denied('tools.allow', `${call.name} with these arguments is not an allowed tool call`);
  }
  const byAction = p.tools.checkActions ? judgeActions(p, actions, call.cwd) : undefined;
  if (byAction) return byAction;
  const a = p.tools.allow?.find(hit);
  return a
    ? { verdict: 'allowed', rule: a.id, reason: `${a.text} is allowed` }
    : { verdict: 'allowed', rule: 'default', reason: 'no rule limits it' };
}
