/** `warden hooks install|uninstall`: Claude Code hooks that ask Warden about every tool call. */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import type { Config } from '../config.js';

const EVENTS = ['PreToolUse', 'PostToolUse'] as const;
type HookEntry = { matcher?: string; hooks: Array<{ type: string; command: string; timeout?: number }> };
type Settings = { hooks?: Record<string, HookEntry[]> } & Record<string, unknown>;

/* `warden hook` (older installs) or the native hook itself */
const isOurs = (e: HookEntry): boolean =>
  e.hooks.some((h) => /warden['"]? hook( |$)|warden-hook['"]?( |$)/.test(h.command));

function settingsFile(o: { project?: string; user?: boolean }): string {
  if (o.user) return join(homedir(), '.claude', 'settings.json');
  return join(resolve(o.project ?? process.cwd()), '.claude', 'settings.json');
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
export function installHooks(file: string, command: string): void {
  const s = read(file);
  const hooks = (s.hooks ??= {});
  for (const ev of EVENTS) {
    const kept = (hooks[ev] ?? []).filter((e) => !isOurs(e));
    hooks[ev] = [...kept, { matcher: '*', hooks: [{ type: 'command', command, timeout: 10 }] }];
  }
  write(file, s);
}

export function uninstallHooks(file: string): boolean {
  const s = read(file);
  let removed = false;
  for (const ev of EVENTS) {
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
  const cmd = new Command('hooks').description('Claude Code hooks that let Warden decide each tool call');
  const where = (c: Command): Command =>
    c
      .option('--project <dir>', 'the project whose .claude/settings.json to change (default: the current directory)')
      .option('--user', 'change ~/.claude/settings.json instead (every project)');
  where(cmd.command('install'))
    .description('add PreToolUse and PostToolUse hooks that call `warden hook`')
    .option('-p, --policy <file>', 'policy used when no warden session answers (default: coding-agent)')
    .action((o: { project?: string; user?: boolean; policy?: string }) => {
      const file = settingsFile(o);
      /* the native hook, run straight (no shell script first): it is on the path of every tool call */
      const bin = join(config().root, 'sensor', 'build', 'warden-hook');
      if (!existsSync(bin)) throw new Error(`${bin} is not built; run scripts/setup.sh`);
      const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
      const command = `${quote(bin)}${o.policy ? ` --policy ${quote(resolve(o.policy))}` : ''}`;
      installHooks(file, command);
      console.log(`installed Warden's PreToolUse and PostToolUse hooks in ${file}`);
    });
  where(cmd.command('uninstall'))
    .description("remove Warden's hooks (other hooks are kept)")
    .action((o: { project?: string; user?: boolean }) => {
      const file = settingsFile(o);
      console.log(uninstallHooks(file) ? `removed Warden's hooks from ${file}` : `no Warden hooks in ${file}`);
    });
  return cmd;
}
