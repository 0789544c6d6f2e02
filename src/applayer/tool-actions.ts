/**
 * What an agent tool call would do, read from its arguments before it runs:
 * the files it names, the programs a shell command runs, the hosts it
 * reaches. Covers the tools of the common agent CLIs (Claude Code, Codex,
 * Gemini CLI, opencode) and MCP filesystem-style servers. It is a pre-check
 * for early, explained refusals; the kernel still enforces whatever slips by.
 */
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { ToolActions } from '../policy/tools.js';

const SHELL_TOOLS = /^(bash|shell|exec_command|run_shell_command|local_shell|execute_command|terminal)$/i;
const READ_TOOLS = /^(read|read_file|read_text_file|read_media_file|view|cat|notebookread|read_many_files)$/i;
const WRITE_TOOLS = /^(write|write_file|edit|edit_file|multiedit|notebookedit|create_file|replace|str_replace)$/i;
const LIST_TOOLS = /^(glob|grep|ls|list_directory|list_directory_with_sizes|directory_tree|search_files|search)$/i;
const PATH_ARGS = ['file_path', 'path', 'notebook_path', 'filePath', 'absolute_path', 'dir_path', 'directory'];
const WRITERS = new Set(['rm', 'rmdir', 'touch', 'tee', 'chmod', 'chown', 'truncate', 'mkdir', 'shred', 'unlink']);
const LAST_ARG_WRITERS = new Set(['cp', 'mv', 'ln', 'install', 'rsync']);
const PREFIXES = new Set(['sudo', 'env', 'command', 'exec', 'nohup', 'time', 'nice', 'timeout', 'xargs', 'builtin']);
const SEPARATORS = new Set([';', '&&', '||', '|', '&', '(', ')', '\n', '|&', '{', '}', '!', 'then', 'do', 'else']);

/** Splits a shell command into words and operators; quotes are removed, $(...) is kept as text. */
export function shellWords(command: string): string[] {
  const out: string[] = [];
  let word = '';
  let inWord = false;
  const push = (): void => {
    if (inWord) out.push(word);
    word = '';
    inWord = false;
  };
  for (let i = 0; i < command.length; i++) {
    const c = command[i] ?? '';
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      word += command.slice(i + 1, end < 0 ? undefined : end);
      inWord = true;
      i = end < 0 ? command.length : end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < command.length && command[j] !== '"'; j++)
        word += command[j] === '\\' ? (command[++j] ?? '') : command[j];
      inWord = true;
      i = j;
    } else if (c === '\\') {
      word += command[++i] ?? '';
      inWord = true;
    } else if (c === '#' && !inWord) {
      while (i < command.length && command[i] !== '\n') i++;
      i--;
    } else if (c === ' ' || c === '\t') push();
    else if (c === '\n' || c === ';' || c === '(' || c === ')') {
      push();
      out.push(c);
    } else if (c === '&' || c === '|' || c === '>' || c === '<') {
      push();
      let op = c;
      while (/[&|><]/.test(command[i + 1] ?? '') && op.length < 2) op += command[++i];
      out.push(op);
    } else {
      word += c;
      inWord = true;
    }
  }
  push();
  return out;
}

function which(program: string, cwd: string, path: string): string {
  if (program.includes('/')) return resolve(cwd, program);
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const full = join(dir, program);
    try {
      accessSync(full, constants.X_OK);
      return full;
    } catch {
      /* not here */
    }
  }
  return program;
}

const HOST_RE = /\b(?:https?|ftp|wss?|ssh|git):\/\/(?:[^@/\s]+@)?(\[[0-9a-f:]+\]|[a-z0-9.-]+)(?::(\d+))?/gi;
const DEV_TCP = /\/dev\/(?:tcp|udp)\/([^/\s]+)\/(\d+)/g;
const IP_PORT = /\b((?:\d{1,3}\.){3}\d{1,3})(?::(\d+))?\b/g;

/** Hosts a text names: URLs, bash /dev/tcp paths, bare IPv4 addresses. */
export function hostsIn(text: string): Array<{ host: string; port?: number }> {
  const found = new Map<string, { host: string; port?: number }>();
  const add = (host: string, port?: string): void => {
    const h = host.replace(/^\[|\]$/g, '').toLowerCase();
    found.set(`${h}:${port ?? ''}`, port ? { host: h, port: Number(port) } : { host: h });
  };
  for (const m of text.matchAll(HOST_RE)) add(m[1] ?? '', m[2]);
  for (const m of text.matchAll(DEV_TCP)) add(m[1] ?? '', m[2]);
  const named = new Set([...found.values()].map((h) => h.host));
  for (const m of text.matchAll(IP_PORT)) if (!named.has(m[1] ?? '')) add(m[1] ?? '', m[2]);
  return [...found.values()];
}

const looksLikePath = (w: string): boolean =>
  (w.startsWith('/') || w.startsWith('~/') || w.startsWith('./') || w.startsWith('../') || w.includes('/')) &&
  !w.includes('://') &&
  !w.startsWith('-');

/** The actions of a shell command line, by a best-effort reading of its words. */
export function shellActions(command: string, cwd: string, env: { PATH?: string; HOME?: string } = {}): ToolActions {
  const home = env.HOME ?? homedir();
  const path = env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
  const tilde = (w: string): string => (w === '~' || w.startsWith('~/') ? home + w.slice(1) : w);
  const a: ToolActions = { reads: [], writes: [], execs: [], hosts: hostsIn(command) };
  let atStart = true;
  let program = '';
  let args: string[] = [];
  const endCommand = (): void => {
    const files = args.filter((w) => !w.startsWith('-'));
    if (WRITERS.has(program)) a.writes.push(...files);
    else if (LAST_ARG_WRITERS.has(program) && files.length > 1) a.writes.push(files[files.length - 1] ?? '');
    program = '';
    args = [];
    atStart = true;
  };
  const words = shellWords(command).map(tilde);
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    if (SEPARATORS.has(w)) {
      endCommand();
      continue;
    }
    if (w === '>' || w === '>>' || w === '&>' || w === '>|') {
      const target = words[++i];
      if (target && target !== '/dev/null' && !target.startsWith('&')) a.writes.push(target);
      continue;
    }
    if (w === '<' || w === '<<') {
      const source = words[++i];
      if (source && w === '<') a.reads.push(source);
      continue;
    }
    if (atStart) {
      if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w) || PREFIXES.has(w) || /^-/.test(w)) continue;
      program = w.split('/').pop() ?? w;
      a.execs.push(which(w, cwd, path));
      atStart = false;
      continue;
    }
    args.push(w);
    if (looksLikePath(w)) a.reads.push(w);
  }
  endCommand();
  const abs = (f: string): string => (isAbsolute(f) ? f : resolve(cwd, f));
  return {
    reads: [...new Set(a.reads.map(abs))],
    writes: [...new Set(a.writes.map(abs))],
    execs: [...new Set(a.execs)],
    hosts: a.hosts,
  };
}

function stringArg(input: Record<string, unknown>, names: string[]): string | undefined {
  for (const n of names) if (typeof input[n] === 'string') return input[n];
  return undefined;
}

/** The actions of one tool call, from its name and arguments. MCP names look like mcp__server__tool. */
export function toolActions(name: string, input: unknown, cwd: string): ToolActions {
  const obj = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  const bare = name.startsWith('mcp__') ? name.split('__').slice(2).join('__') : name;
  const none: ToolActions = { reads: [], writes: [], execs: [], hosts: [] };
  if (SHELL_TOOLS.test(bare)) {
    const cmd = obj.command ?? obj.cmd; /* Codex's exec_command says cmd */
    const text = Array.isArray(cmd) ? cmd.map(String).join(' ') : typeof cmd === 'string' ? cmd : '';
    const dir = typeof obj.workdir === 'string' ? obj.workdir : typeof obj.cwd === 'string' ? obj.cwd : cwd;
    return shellActions(text, dir);
  }
  const file = stringArg(obj, PATH_ARGS);
  const abs = file === undefined ? [] : [isAbsolute(file) ? file : resolve(cwd, file)];
  if (READ_TOOLS.test(bare) || LIST_TOOLS.test(bare)) return { ...none, reads: abs };
  if (WRITE_TOOLS.test(bare)) return { ...none, writes: abs };
  if (/^(webfetch|web_fetch|fetch)$/i.test(bare) && typeof obj.url === 'string') {
    return { ...none, hosts: hostsIn(obj.url) };
  }
  return { ...none, reads: abs, hosts: hostsIn(JSON.stringify(obj)) };
}

/** The text that states what a call intends: what its actions should stay within. */
export function declaredText(name: string, input: unknown): string {
  return `${name} ${typeof input === 'string' ? input : JSON.stringify(input ?? null)}`;
}
