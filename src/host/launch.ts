/**
 * What a session hands its agent at launch: the environment that routes its model traffic through
 * the session's proxy, the policy with Warden's additions, and the floor file the launcher seals
 * the agent with.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { appSocket, runDir, type Config } from '../config.js';
import { PREFIX } from '../applayer/llm/proxy.js';
import { DeniedPrograms } from '../enforce/exec-content.js';
import { buildFloor, sealPlan } from '../enforce/floor.js';
import { providerRules } from '../enforce/network.js';
import type { CompiledPolicy } from '../policy/compile.js';
import { decideConnect } from '../policy/evaluate.js';
import { parseNetTarget, type NetTarget } from '../policy/schema.js';
import { selfProtectedPaths } from './self-protection.js';

/** The agent talks to its model through the proxy, and finds its session's socket. */
export function agentEnv(cfg: Config, sessionId: string, proxyPort: number): Record<string, string> {
  const base = `http://127.0.0.1:${proxyPort}`;
  return {
    ANTHROPIC_BASE_URL: base,
    OPENAI_BASE_URL: `${base}${PREFIX.openai}`,
    OPENAI_API_BASE: `${base}${PREFIX.openai}`,
    GOOGLE_GEMINI_BASE_URL: `${base}${PREFIX.gemini}`,
    WARDEN_SESSION: sessionId,
    WARDEN_SOCKET: appSocket(cfg, sessionId),
  };
}

/**
 * What Warden adds to a session's policy: the agent reaches its model through
 * the proxy (even under an allow list) and never the provider directly, so
 * every request passes the secret scan; and it reaches its session's socket.
 */
export function withWarden(
  policy: CompiledPolicy | null,
  cfg: Config,
  sessionId: string,
  proxyPort: number,
  /** other providers the agent's configuration names (applayer/agents.ts) */
  extraUpstreams: string[] = [],
): CompiledPolicy | null {
  if (!policy) return policy;
  const proxy = {
    id: 'warden.llm-proxy',
    target: parseNetTarget(`127.0.0.1:${proxyPort}`) as NetTarget,
  };
  const direct = providerRules({
    ...cfg.llmUpstreams,
    ...Object.fromEntries(extraUpstreams.map((u, i) => [`configured-${i}`, u])),
  });
  return Object.assign({}, policy, {
    network: {
      ...policy.network,
      allow: policy.network.allow ? [proxy, ...policy.network.allow] : null,
      deny: [...direct, ...policy.network.deny],
      unixAllow: [...policy.network.unixAllow, appSocket(cfg, sessionId)],
    },
  });
}

/** Why `policy` refuses the session `url`'s host and port, if it does (null: monitor only, nothing refused). */
export function policyRefusal(policy: CompiledPolicy | null, url: string): string | undefined {
  if (!policy) return undefined;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a URL';
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  /* an address is judged as an address, a name by the policy's names alone */
  const d = isIP(host) ? decideConnect(policy, host, port) : decideConnect(policy, '', port, [host]);
  return d.verdict === 'denied' ? `${d.rule}: ${d.reason}` : undefined;
}

/** The floor file's path in the run directory, where the agent cannot change it. */
export const floorFile = (cfg: Config, sessionId: string): string => join(runDir(cfg), `${sessionId}.floor`);

/**
 * Writes the session's floor. Returns what it hides in the session's mount namespace (an open of
 * it reads an empty /dev/null) and the denied programs whose bytes it refuses to run under any name.
 */
export function writeFloor(
  cfg: Config,
  sessionId: string,
  policy: CompiledPolicy | null,
): { file: string; masked: string[]; programs: DeniedPrograms } {
  mkdirSync(runDir(cfg), { recursive: true, mode: 0o700 });
  const file = floorFile(cfg, sessionId);
  const input = { policy, protect: selfProtectedPaths(cfg) };
  const plan = sealPlan(input);
  writeFileSync(file, buildFloor(input, plan), { mode: 0o600 });
  return { file, masked: plan.masks, programs: new DeniedPrograms(plan.execContent) };
}
