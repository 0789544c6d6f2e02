/**
 * Agent CLIs that do not take the proxy from the environment variables `warden run` sets, and
 * what the session does for each so that their model traffic still goes through it:
 *  - Codex takes its OpenAI base URL only from its configuration (`-c openai_base_url=...`):
 *    added unless the user gave one; a provider of its config.toml with a `base_url` of its own
 *    (a local model server, a gateway) gets a route on the proxy, and `-c model_providers.<id>.
 *    base_url=` points Codex at it;
 *  - opencode providers with a `baseURL` of their own in its config (a local model server, a
 *    gateway): each gets a route on the proxy that forwards to that URL, and the session's
 *    opencode is pointed at it through OPENCODE_CONFIG_CONTENT (which it merges over its files).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parseJsonc } from './jsonc.js';

/** A provider the agent's configuration names with a base URL of its own, served at `prefix`. */
export interface ExtraRoute {
  prefix: string;
  provider: 'anthropic' | 'openai';
  upstream: string;
}

export interface ProxiedCommand {
  command: string[];
  /** added to the agent's environment */
  env?: Record<string, string>;
  /** routes the proxy must serve for it */
  routes?: ExtraRoute[];
  /** what was changed, for the user */
  note?: string;
}

/** Where the agent runs: its environment and working directory (the run's, not Warden's). */
export interface AgentContext {
  env: Record<string, string | undefined>;
  cwd: string;
  /**
   * Why the session's policy refuses the agent `url`, if it does: the proxy reaches for the agent
   * no address the agent could not reach itself (a config file is no way around the policy)
   */
  refused?: (url: string) => string | undefined;
}

export function throughProxy(command: string[], proxyBase: string, ctx?: AgentContext): ProxiedCommand {
  const [program, ...args] = command;
  const name = program ? basename(program) : '';
  if (name === 'opencode' && ctx) return opencodeThroughProxy(command, proxyBase, ctx);
  if (name !== 'codex') return { command };
  const settings: string[] = [];
  const notes: string[] = [];
  if (!args.some((a) => /\bopenai_base_url\s*=/.test(a))) {
    const setting = `openai_base_url="${proxyBase}/openai"`;
    settings.push(setting);
    notes.push(`codex reads its API address only from its configuration: added -c ${setting}`);
  }
  const own = ctx ? codexProviders(args, proxyBase, ctx) : { settings: [], routes: [], notes: [] };
  settings.push(...own.settings);
  if (own.notes.length)
    notes.push(`its providers with a base URL of their own go through Warden's proxy: ${own.notes.join('; ')}`);
  if (!settings.length && !notes.length) return { command };
  return {
    command: [program as string, ...settings.flatMap((x) => ['-c', x]), ...args],
    ...(own.routes.length ? { routes: own.routes } : {}),
    note: notes.join('; '),
  };
}

type CodexProvider = { base_url?: unknown; wire_api?: unknown };

/*
 * Codex's own providers (config.toml's [model_providers.<id>], in CODEX_HOME or ~/.codex) that
 * name a base URL: each routed through the proxy, which forwards to that URL. The OpenAI API
 * either way (wire_api "responses" or "chat"), which the proxy reads.
 */
function codexProviders(
  args: string[],
  proxyBase: string,
  ctx: AgentContext,
): { settings: string[]; routes: ExtraRoute[]; notes: string[] } {
  const out = { settings: [] as string[], routes: [] as ExtraRoute[], notes: [] as string[] };
  const home = ctx.env.CODEX_HOME ?? join(ctx.env.HOME ?? '/root', '.codex');
  const file = join(home, 'config.toml');
  if (!existsSync(file)) return out;
  let providers: Record<string, CodexProvider> = {};
  try {
    const config = parseToml(readFileSync(file, 'utf8')) as { model_providers?: Record<string, CodexProvider> };
    providers = config.model_providers ?? {};
  } catch (e) {
    out.notes.push(`${file} is not readable as TOML (${(e as Error).message.split('\n')[0]}): not looked into`);
    return out;
  }
  for (const [id, p] of Object.entries(providers)) {
    const upstream = p?.base_url;
    if (typeof upstream !== 'string' || !/^https?:\/\//.test(upstream)) continue;
    if (args.some((a) => a.startsWith(`model_providers.${id}.base_url`))) continue; /* the user's own -c */
    if (!/^[A-Za-z0-9_-]+$/.test(id)) {
      out.notes.push(`${id} (${upstream}) has a name -c cannot address: its traffic is not recorded`);
      continue;
    }
    const refusal = ctx.refused?.(upstream);
    if (refusal) {
      out.notes.push(
        `${id} (${upstream}) is refused by the policy (${refusal}): allow it under network.allow to use it`,
      );
      continue;
    }
    const prefix = `/codex/${id}`;
    out.routes.push({ prefix, provider: 'openai', upstream });
    out.settings.push(`model_providers.${id}.base_url="${proxyBase}${prefix}"`);
    out.notes.push(`${id} -> ${upstream}`);
  }
  return out;
}

type OpencodeProvider = { npm?: unknown; options?: { baseURL?: unknown } };

/** opencode's config files, lowest precedence first: global, OPENCODE_CONFIG, then the project's from the top down. */
function opencodeConfigFiles(ctx: AgentContext): string[] {
  const home = ctx.env.HOME ?? '/root';
  const global = join(ctx.env.XDG_CONFIG_HOME ?? join(home, '.config'), 'opencode');
  const files = ['config.json', 'opencode.json', 'opencode.jsonc'].map((f) => join(global, f));
  if (ctx.env.OPENCODE_CONFIG) files.push(resolve(ctx.cwd, ctx.env.OPENCODE_CONFIG));
  const project: string[] = [];
  for (let dir = resolve(ctx.cwd); ; dir = dirname(dir)) {
    for (const f of ['opencode.jsonc', 'opencode.json', '.opencode/opencode.jsonc', '.opencode/opencode.json'])
      project.unshift(join(dir, f));
    if (existsSync(join(dir, '.git')) || dirname(dir) === dir) break;
  }
  return [...files, ...project];
}

/** The API a provider speaks, as opencode picks its client: the built-in ids, or its AI SDK package. */
function apiOf(id: string, p: OpencodeProvider): ExtraRoute['provider'] | undefined {
  const npm = typeof p.npm === 'string' ? p.npm : '';
  if (npm === '@ai-sdk/anthropic' || (!npm && id === 'anthropic')) return 'anthropic';
  if (/^@ai-sdk\/openai(-compatible)?$/.test(npm) || (!npm && id === 'openai')) return 'openai';
  return undefined;
}

function opencodeThroughProxy(command: string[], proxyBase: string, ctx: AgentContext): ProxiedCommand {
  const providers = new Map<string, OpencodeProvider>();
  const take = (c: unknown): void => {
    const own = (c as { provider?: Record<string, OpencodeProvider> } | null)?.provider ?? {};
    for (const [id, p] of Object.entries(own))
      if (p && typeof p === 'object') providers.set(id, { ...providers.get(id), ...p });
  };
  const unreadable: string[] = [];
  for (const f of opencodeConfigFiles(ctx)) {
    if (!existsSync(f)) continue;
    try {
      take(parseJsonc(readFileSync(f, 'utf8')));
    } catch {
      unreadable.push(f);
    }
  }
  let inline: Record<string, unknown> = {};
  if (ctx.env.OPENCODE_CONFIG_CONTENT) {
    try {
      inline = parseJsonc(ctx.env.OPENCODE_CONFIG_CONTENT) as Record<string, unknown>;
      take(inline);
    } catch {
      unreadable.push('OPENCODE_CONFIG_CONTENT');
    }
  }
  const routes: ExtraRoute[] = [];
  const pointed: Record<string, { options: { baseURL: string } }> = {};
  const notes: string[] = [];
  for (const [id, p] of providers) {
    const upstream = p.options?.baseURL;
    if (typeof upstream !== 'string' || !/^https?:\/\//.test(upstream)) continue;
    const refusal = ctx.refused?.(upstream);
    if (refusal) {
      notes.push(`${id} (${upstream}) is refused by the policy (${refusal}): allow it under network.allow to use it`);
      continue;
    }
    const api = apiOf(id, p);
    if (!api) {
      notes.push(`${id} (${upstream}) speaks an API Warden's proxy does not read: its traffic is not recorded`);
      continue;
    }
    const prefix = `/opencode/${encodeURIComponent(id)}`;
    routes.push({ prefix, provider: api, upstream });
    pointed[id] = { options: { baseURL: `${proxyBase}${prefix}` } };
    notes.push(`${id} -> ${upstream}`);
  }
  if (unreadable.length) notes.push(`unreadable, not looked into: ${unreadable.join(', ')}`);
  if (!routes.length && !notes.length) return { command };
  const merged = {
    ...inline,
    provider: { ...(inline.provider as object | undefined), ...mergeProviders(inline, pointed) },
  };
  return {
    command,
    ...(routes.length ? { routes, env: { OPENCODE_CONFIG_CONTENT: JSON.stringify(merged) } } : {}),
    note: `opencode's providers with a base URL of their own go through Warden's proxy: ${notes.join('; ')}`,
  };
}

/** The inline config's providers with the proxy's base URLs over theirs (their other settings kept). */
function mergeProviders(
  inline: Record<string, unknown>,
  pointed: Record<string, { options: { baseURL: string } }>,
): Record<string, unknown> {
  const own = (inline.provider ?? {}) as Record<string, { options?: object } & Record<string, unknown>>;
  return Object.fromEntries(
    Object.entries(pointed).map(([id, p]) => [id, { ...own[id], options: { ...own[id]?.options, ...p.options } }]),
  );
}
