/** Tool-call rules compiled from the policy: a tool name glob and, where given, argument globs (tools.ts decides with them). */
import { resolve } from 'node:path';
import picomatch from 'picomatch';
import { expandPattern, type ExpandContext } from './expand.js';
import type { ToolRuleSpec } from './schema.js';

export interface ToolRule {
  id: string;
  text: string;
  matchesName: (name: string) => boolean;
  /** every constrained argument must be present and match one of its globs */
  matchesArgs: (input: unknown, cwd: string) => boolean;
  reason?: string;
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
