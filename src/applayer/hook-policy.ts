/**
 * A hook call decided outside any session: under the policy file the hook names (or the default
 * one), the tool call's actions judged as the session would judge them. The JavaScript hook
 * decides so when no session answers; the daemon too, for the native hook outside a session.
 */
import { resolve } from 'node:path';
import type { ToolDecision } from '../model/records.js';
import { DEFAULT_POLICY, policyPath } from '../policy/builtin.js';
import { compilePolicy, type CompiledPolicy } from '../policy/compile.js';
import { loadPolicy } from '../policy/load.js';
import { decideToolCall } from '../policy/tools.js';
import { hookPhase } from '../model/hooks.js';
import { toolActions } from './tool-actions.js';

export interface HookCall {
  hook_event_name?: string;
  tool_name?: string;
  tool_input?: unknown;
  tool_response?: unknown;
  cwd?: string;
}

/** Compiles a hook's policy for a workspace; the daemon keeps the last ones (keyed by file, its change and workspace). */
export type PolicyFor = (file: string, workspace: string) => CompiledPolicy;

export const compileFresh: PolicyFor = (file, workspace) => compilePolicy(loadPolicy(file), { workspace });

/**
 * The decision on `h`, `by` whoever decides; null when there is nothing to decide (not a
 * call before the tool runs) or the policy only audits. `policyArg` is relative to `cwd`, the hook's own.
 */
export function decideHookCall(
  h: HookCall,
  opts: { root: string; policyArg: string | undefined; cwd: string; by: string; policyFor?: PolicyFor },
): ToolDecision | null {
  if (hookPhase(h) !== 'before') return null;
  const cwd = resolve(opts.cwd, h.cwd ?? '.');
  const file = policyPath(opts.root, opts.policyArg ?? DEFAULT_POLICY, opts.cwd);
  const policy = (opts.policyFor ?? compileFresh)(file, cwd);
  const name = h.tool_name ?? '';
  const d = decideToolCall(policy, { name, input: h.tool_input, cwd }, toolActions(name, h.tool_input, cwd));
  if (d.verdict === 'denied' && policy.mode === 'audit') return null;
  return { ...d, policy: policy.name, by: opts.by };
}
