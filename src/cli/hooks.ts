/** `warden hooks install|uninstall`: an agent CLI's hooks (Claude Code's, Gemini CLI's, Codex's; opencode's plugin) that ask Warden about every tool call. */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import type { Config } from '../config.js';

type HookEntry = {
  matcher?: string;
  hooks: Array<{ type: string; command: string; name?: string; timeout?: number }>;
};

/** Each CLI with hooks Warden answers: where its settings live, its events before and after a tool call, an entry. */
const AGENTS = {
  claude: {
    dir: '.claude',
    file: 'settings.json',
    events: ['PreToolUse', 'PostToolUse'],
    entry: (command: string): HookEntry => ({ matcher: '*', hooks: [{ type: 'command', command, timeout: 10 }] }),
  },
  gemini: {
    dir: '.gemini',
    file: 'settings.json',
    events: ['BeforeTool', 'AfterTool'],
    /* Gemini CLI: a regex matcher, the timeout in ms */
    entry: (command: string): HookEntry => ({
      matcher: '.*',
      hooks: [{ type: 'command', name: 'warden', command, timeout: 10000 }],
    }),
  },
  codex: {
    /* Codex: hooks.json beside its config (its own file: config.toml stays the user's), Claude Code's format */
    dir: '.codex',
    file: 'hooks.json',
    events: ['PreToolUse', 'PostToolUse'],
    entry: (command: string): HookEntry => ({ matcher: '.*', hooks: [{ type: 'command', command, timeout: 10 }] }),
  },
} as const;
export type HookAgent = keyof typeof AGENTS;

/** The CLIs Warden installs hooks for: those with hook settings, and opencode (a plugin). */
const ALL_AGENTS = [...Object.keys(AGENTS), 'opencode'];

function agentOf(name: string): HookAgent | 'opencode' {
  if (name in AGENTS || name === 'opencode') return name as HookAgent | 'opencode';
  throw new Error(`no hooks for ${name}: Warden installs them for ${ALL_AGENTS.join(', ')}`);
}

/*
 * opencode takes plugins, not hook commands: Warden's is a small module that runs the native hook
 * before each tool (tool.execute.before) and after it, and refuses the call by throwing the
 * hook's reason, which opencode hands the model as the tool's error.
 */
const PLUGIN_MARK = '// Warden: written by `warden hooks install --agent opencode`';

export function opencodePlugin(hook: string, args: string[]): string {
  return `${PLUGIN_MARK}
// It asks Warden (the session, or the warden daemon) about each tool call before it runs.
import { spawnSync } from 'node:child_process';

const HOOK = ${JSON.stringify(hook)};
const ARGS = ${JSON.stringify(args)};

function ask(event, fields) {
  const r = spawnSync(HOOK, ARGS, { input: JSON.stringify({ hook_event_name: event, ...fields }), encoding: 'utf8', timeout: 10000 });
  if (r.error) throw new Error(\`Warden: its hook could not run (\${r.error.message}): \${HOOK}\`);
  return r;
}

export const Warden = async ({ directory }) => ({
  'tool.execute.before': async (input, output) => {
    const r = ask('PreToolUse', { tool_name: input.tool, tool_input: output.args, tool_use_id: input.callID, session_id: input.sessionID, cwd: directory });
    if (r.status === 2) throw new Error(r.stderr.trim() || 'Warden refused this call');
    const answer = r.stdout.trim() ? JSON.parse(r.stdout) : null;
    const out = answer && answer.hookSpecificOutput;
    if (out && out.permissionDecision === 'deny') throw new Error(out.permissionDecisionReason);
  },
  'tool.execute.after': async (input, output) => {
    ask('PostToolUse', { tool_name: input.tool, tool_use_id: input.callID, session_id: input.sessionID, cwd: directory, tool_response: output && output.output });
  },
});
`;
}
type Settings = { hooks?: Record<string, HookEntry[]> } & Record<string, unknown>;

/* `warden hook` (older installs) or the native hook itself */
const isOurs = (e: HookEntry): boolean =>
  e.hooks.some((h) => /warden['"]? hook( |$)|warden-hook['"]?( |$)/.test(h.command));

/** Codex's managed layer: hooks there run without the review Codex asks of a user's or project's. */
export const CODEX_SYSTEM_HOOKS = '/etc/codex/hooks.json';

/** The file Warden's hooks go in: the CLI's settings (hooks.json for Codex), or opencode's plugin. */
function hooksFile(agent: HookAgent | 'opencode', o: { project?: string; user?: boolean; system?: boolean }): string {
  if (o.system) {
    if (agent !== 'codex') throw new Error('--system is for Codex (its managed hooks); use --user or --project');
    return CODEX_SYSTEM_HOOKS;
  }
  if (agent === 'opencode')
    return o.user
      ? join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'opencode', 'plugins', 'warden.js')
      : join(resolve(o.project ?? process.cwd()), '.opencode', 'plugins', 'warden.js');
  const { dir, file } = AGENTS[agent];
  /* Codex keeps the user's configuration in CODEX_HOME where one is set */
  if (o.user)
    return agent === 'codex' && process.env.CODEX_HOME
      ? join(process.env.CODEX_HOME, file)
      : join(homedir(), dir, file);
  return join(resolve(o.project ?? process.cwd()), dir, file);
}

function read(file: string): Settings {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Settings;
  } catch (e) {
    throw new Error(`${file} is not valid JSON (${(e as Error).message}); fix it first, nothing was changed`);
  }
}

function write(file: string, s: Settings): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(s, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
}

/** Adds (or replaces) Warden's hooks; other hooks stay as they are. */
export function installHooks(file: string, command: string, agent: HookAgent = 'claude'): void {
  const s = read(file);
  const hooks = (s.hooks ??= {});
  for (const ev of AGENTS[agent].events) {
    const kept = (hooks[ev] ?? []).filter((e) => !isOurs(e));
    hooks[ev] = [...kept, AGENTS[agent].entry(command)];
  }
  write(file, s);
}

export function uninstallHooks(file: string, agent: HookAgent = 'claude'): boolean {
  const s = read(file);
  let removed = false;
  for (const ev of AGENTS[agent].events) {
    const list = s.hooks?.[ev];
    if (!list || !s.hooks) continue;
    const kept = list.filter((e) => !isOurs(e));
    removed ||= kept.length !== list.length;
    if (kept.length) s.hooks[ev] = kept;
    else delete s.hooks[ev];
  }
  if (removed) write(file, s);
  return removed;
}

export function hooksCommand(config: () => Config): Command {
  const cmd = new Command('hooks').description(
    "an agent CLI's hooks (Claude Code, Gemini CLI, Codex; a plugin for opencode) that let Warden decide each tool call",
  );
  const where = (c: Command): Command =>
    c
      .option('--agent <name>', `the agent CLI: ${ALL_AGENTS.join(', ')}`, 'claude')
      .option(
        '--project <dir>',
        'the project whose settings to change (.claude/ or .gemini/settings.json, .codex/hooks.json, .opencode/plugins/; default: the current directory)',
      )
      .option(
        '--user',
        "change the user's settings instead (~/.claude, ~/.gemini, $CODEX_HOME or ~/.codex, ~/.config/opencode: every project)",
      )
      .option(
        '--system',
        `Codex only: its managed hooks (${CODEX_SYSTEM_HOOKS}), which run for every user with no review`,
      );
  where(cmd.command('install'))
    .description('add hooks before and after each tool call that ask Warden (the native warden-hook)')
    .option('-p, --policy <file>', 'policy used when no warden session answers (default: coding-agent)')
    .action((o: { agent: string; project?: string; user?: boolean; system?: boolean; policy?: string }) => {
      const agent = agentOf(o.agent);
      /* the native hook, run straight (no shell script first): it is on the path of every tool call */
      const bin = join(config().root, 'sensor', 'build', 'warden-hook');
      if (!existsSync(bin)) throw new Error(`${bin} is not built; run scripts/setup.sh`);
      const file = hooksFile(agent, o);
      if (agent === 'opencode') {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(
          file,
          opencodePlugin(bin, ['--agent', 'opencode', ...(o.policy ? ['--policy', resolve(o.policy)] : [])]),
        );
        console.log(`installed Warden's opencode plugin (before and after each tool) as ${file}`);
        return;
      }
      const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
      const command = `${quote(bin)}${agent === 'claude' ? '' : ` --agent ${agent}`}${o.policy ? ` --policy ${quote(resolve(o.policy))}` : ''}`;
      installHooks(file, command, agent);
      console.log(`installed Warden's ${AGENTS[agent].events.join(' and ')} hooks in ${file}`);
      if (agent === 'codex' && !o.system)
        console.log(
          "Codex runs a user's or project's hook once it is trusted: review it in Codex with /hooks (it asks at start), " +
            `or install it with --system (${CODEX_SYSTEM_HOOKS}), which Codex trusts as managed`,
        );
    });
  where(cmd.command('uninstall'))
    .description("remove Warden's hooks (other hooks are kept)")
    .action((o: { agent: string; project?: string; user?: boolean; system?: boolean }) => {
      const agent = agentOf(o.agent);
      const file = hooksFile(agent, o);
      if (agent === 'opencode') {
        const ours = existsSync(file) && readFileSync(file, 'utf8').startsWith(PLUGIN_MARK);
        if (ours) rmSync(file);
        console.log(ours ? `removed Warden's opencode plugin ${file}` : `no Warden plugin at ${file}`);
        return;
      }
      console.log(uninstallHooks(file, agent) ? `removed Warden's hooks from ${file}` : `no Warden hooks in ${file}`);
    });
  return cmd;
}
