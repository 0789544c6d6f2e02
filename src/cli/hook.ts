/**
 * `warden hook` in JavaScript: what the native hook (sensor/hook, which
 * `warden hooks install` installs) hands a tool call to when the session could
 * not decide it, and the hook itself where that is not built. It asks the
 * session it runs in for a decision under the session's policy. When no session answers, it decides
 * by itself under the policy file, so a forbidden call is never let through
 * just because Warden is down. Kept light: it is on the path of every call.
 */
import { readFileSync } from 'node:fs';
import { hookPhase } from '../model/hooks.js';
import type { ToolDecision } from '../model/records.js';
import type { AppProtocol } from '../rpc/app.js';
import { request } from '../rpc/client.js';
import type { Result } from '../rpc/protocol.js';

interface HookPayload {
  hook_event_name?: string;
  tool_name?: string;
  tool_input?: unknown;
  tool_response?: unknown;
  cwd?: string;
}

/** The CLI whose hook this is (`--agent`, as `warden hooks install` writes it): its refusal's format. */
let agent = 'claude';

function deny(reason: string): void {
  const out =
    agent === 'gemini'
      ? { decision: 'deny', reason }
      : {
          hookSpecificOutput: {
            hookEventName: 'PreToolUse',
            permissionDecision: 'deny',
            permissionDecisionReason: reason,
          },
        };
  process.stdout.write(JSON.stringify(out) + '\n');
}

/**
 * The session's answer, read without zod (loading it would cost every tool call ~45 ms): a
 * decision with a verdict, or none. Anything else is no answer, and the hook decides by itself.
 */
function hookAnswer(v: unknown): Result<AppProtocol, 'hook'> {
  const d = v && typeof v === 'object' && 'decision' in v ? v.decision : undefined;
  if (d === null) return { decision: null };
  if (d && typeof d === 'object' && 'verdict' in d && 'rule' in d && 'reason' in d && 'policy' in d && 'by' in d) {
    const { verdict, rule, reason, policy, by } = d;
    const known = verdict === 'allowed' || verdict === 'denied' || verdict === 'would-deny';
    if (known && [rule, reason, policy, by].every((f) => typeof f === 'string'))
      return {
        decision: { verdict, rule: String(rule), reason: String(reason), policy: String(policy), by: String(by) },
      };
  }
  throw new Error(`an answer that is no decision: ${JSON.stringify(v).slice(0, 200)}`);
}

const explain = (d: ToolDecision): string => `Warden: ${d.reason} (rule ${d.rule} of policy ${d.policy})`;

/** No session answered: the policy file decides here, and says so. Loaded only then: it costs ~100 ms. */
async function decideLocally(h: HookPayload, policyArg: string | undefined, why: string): Promise<void> {
  if (hookPhase(h) !== 'before') return; /* nothing to decide; the record is lost, and said so */
  let decision: ToolDecision | null;
  try {
    const [{ decideHookCall }, { loadConfig }] = await Promise.all([
      import('../applayer/hook-policy.js'),
      import('../config.js'),
    ]);
    decision = decideHookCall(h, { root: loadConfig().root, policyArg, cwd: process.cwd(), by: 'hook-local' });
  } catch (e) {
    deny(`Warden: refused because no decision could be made (${why}; ${(e as Error).message})`);
    return;
  }
  if (decision?.verdict === 'denied') deny(`${explain(decision)}; decided locally: ${why}`);
}

export async function runHook(argv: string[]): Promise<void> {
  const at = argv.indexOf('--policy');
  const policyArg = at >= 0 ? argv[at + 1] : undefined;
  const as = argv.indexOf('--agent');
  if (as >= 0) agent = argv[as + 1] ?? agent;
  let raw: string;
  let h: HookPayload;
  try {
    raw = readFileSync(0, 'utf8');
    h = JSON.parse(raw) as HookPayload;
  } catch (e) {
    /* exit 2 blocks the call; stderr is what the agent sees */
    process.stderr.write(`Warden: unreadable hook input, the call is refused: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  /* the native hook (sensor/hook) asked the session first, and says why it could not decide */
  const why = process.env.WARDEN_HOOK_WHY;
  if (why) return decideLocally(h, policyArg, why);
  const socket = process.env.WARDEN_SOCKET; /* set by warden run for its agent */
  if (!socket) return decideLocally(h, policyArg, 'not inside a warden run session');
  try {
    /* the agent's payload as it wrote it: the session parses it by the method's schema */
    const answer = hookAnswer(await request(socket, 'hook', h, 3000));
    if (answer.decision?.verdict === 'denied') deny(explain(answer.decision));
  } catch (e) {
    process.stderr.write(`warden hook: session did not answer: ${(e as Error).message}\n`);
    await decideLocally(h, policyArg, `the session did not answer (${(e as Error).message})`);
  }
}

await runHook(process.argv.slice(2));
