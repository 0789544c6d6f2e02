/**
 * Tool-call rules: what the policy says of one agent tool call before it
 * runs. A call is matched by tool name and, where a rule gives them, by its
 * arguments; then (unless `checkActions` is off) what the call would do is
 * judged by the same files, exec and network rules the kernel enforces, so a
 * hook or the MCP proxy refuses early what the kernel would refuse anyway.
 */
import { isAbsolute, resolve } from 'node:path';
import type { CompiledPolicy } from './compile.js';
import { decideConnect, decideFile, type Decision } from './evaluate.js';
import type { ToolRule } from './tool-rules.js';

/** What a tool call would do, as far as its arguments tell (see applayer/tool-actions). */
export interface ToolActions {
  reads: string[];
  writes: string[];
  execs: string[];
  hosts: Array<{ host: string; port?: number }>;
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
