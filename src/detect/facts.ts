/** Small readings of events that many detectors share. */
import { homedir } from 'node:os';
import type { WardenEvent } from '../model/events.js';
import { isLoopback, opensForWrite, opensNameOnly } from '../pipeline/names.js';

export const HOME = homedir();

/** The path an event leaves written (opened for writing, renamed to, truncated), if any. */
export function writtenPath(e: WardenEvent): string | undefined {
  if (e.type === 'open' && e.result >= 0 && opensForWrite(e.flags)) return e.path;
  if (e.type === 'rename' && e.result >= 0) return e.newPath;
  /* a new name for other bytes: what it points at is what the next reader gets */
  if (e.type === 'link' && e.result >= 0) return e.newPath;
  if (e.type === 'symlink' && e.result >= 0) return e.path;
  if (e.type === 'truncate' && e.result >= 0) return e.path;
  return undefined;
}

/** The path a successful read-only open read. */
export function readPath(e: WardenEvent): string | undefined {
  return e.type === 'open' && e.result >= 0 && !opensForWrite(e.flags) && !opensNameOnly(e.flags) ? e.path : undefined;
}

/** A connection or datagram leaving the machine, or trying to (EINPROGRESS, or refused by policy). */
export function isEgress(e: WardenEvent): e is Extract<WardenEvent, { type: 'connect' | 'send' }> {
  return (
    (e.type === 'connect' || e.type === 'send') &&
    (e.family === 'ipv4' || e.family === 'ipv6') &&
    !isLoopback(e.daddr) &&
    (e.result >= 0 || e.result === -115 || e.decision?.verdict === 'denied' || e.decision?.verdict === 'would-deny')
  );
}

/** Egress that really happened (for taint: only data that arrived can carry anything). */
export function isCompletedEgress(e: WardenEvent): boolean {
  return isEgress(e) && (e.result >= 0 || e.result === -115);
}

/** The program an exec ran, by its base name. */
export function program(e: Extract<WardenEvent, { type: 'exec' }>): string {
  return (e.argv[0] ?? e.exe).split('/').pop() ?? '';
}

export const base = (p: string): string => p.split('/').pop() ?? p;

/**
 * Inside an installed dependency tree (a venv's or the system's site-packages, node_modules, a
 * vendored copy): the package manager's bytes, not the project's tests or code. pip's vendored
 * auth.py in a new venv is no backdoor, and removing the venv is no test tampering.
 */
const DEPENDENCY_TREE = /\/(node_modules|site-packages|dist-packages|__pycache__|\.tox|\.nox)\//;
export const inDependencyTree = (path: string): boolean => DEPENDENCY_TREE.test(path);

/** `path` is `dir` or beneath it (false without a dir). */
export const within = (path: string, dir: string | null): boolean =>
  dir !== null && (path === dir || path.startsWith(`${dir}/`));

/**
 * Files whose content is judged once their writer is done with them: noted at the write, handed
 * back when the process that wrote them exits (a file read at its open holds nothing yet).
 */
export class UntilWriterExits {
  private readonly pending = new Map<string, WardenEvent>();

  note(path: string, write: WardenEvent): void {
    this.pending.set(path, write);
  }

  /** The files the process that `e` ended had written, with their writes; none for any other event. */
  done(e: WardenEvent): Array<[string, WardenEvent]> {
    if (e.type !== 'exit') return [];
    const out: Array<[string, WardenEvent]> = [];
    for (const [path, w] of this.pending) {
      if (w.pid !== e.pid) continue;
      this.pending.delete(path);
      out.push([path, w]);
    }
    return out;
  }
}

/** The path an event wrote, or tried to write and was refused (the attempt is the finding). */
export function targetPath(e: WardenEvent): { path: string; refused: boolean } | undefined {
  const done = writtenPath(e);
  if (done) return { path: done, refused: false };
  const verdict = 'decision' in e ? e.decision?.verdict : undefined;
  if (verdict !== 'denied' && verdict !== 'would-deny') return undefined;
  if (e.type === 'open' && opensForWrite(e.flags)) return { path: e.path, refused: true };
  if (e.type === 'rename' || e.type === 'link') return { path: e.newPath, refused: true };
  if (e.type === 'symlink' || e.type === 'truncate' || e.type === 'mkdir' || e.type === 'mknod')
    return { path: e.path, refused: true };
  return undefined;
}

const SHELL = /^((ba|z|da|k)?sh)$/;
/* words that run the next word as a command */
const PREFIX = /^(sudo|doas|env|nohup|exec|command|builtin|eval|time|nice|timeout|xargs|(ba|z|da|k)?sh)$/;

/**
 * The commands a shell's `-c` line runs, each by its program's base name and its words, whether or
 * not the program exists here (a `sudo` on a host without sudo is still an attempt):
 * `bash -c 'cd x && sudo id'` runs cd, sudo and id; Claude Code's `eval 'sudo -n id'` runs sudo.
 */
export function shellCommands(e: WardenEvent): Array<{ name: string; args: string[] }> {
  if (e.type !== 'exec' || !SHELL.test(program(e))) return [];
  const at = e.argv.findIndex((a, i) => i > 0 && /^-\w*c\w*$/.test(a));
  const line = at > 0 ? e.argv[at + 1] : undefined;
  if (!line) return [];
  const out: Array<{ name: string; args: string[] }> = [];
  for (const segment of line.split(/[;&|()`\n]|\$\(/)) {
    const words = segment
      .trim()
      .split(/\s+/)
      /* quotes opened around a line handed to eval or bash -c: eval 'sudo -n id' runs sudo */
      .map((w) => w.replace(/^['"\\]+|['"]+$/g, ''))
      .filter((w) => w && !/^\w+=/.test(w));
    for (let i = 0; i < words.length; i++) {
      const w = words[i] ?? '';
      if (w.startsWith('-')) continue;
      const name = w.split('/').pop() ?? '';
      out.push({ name, args: words.slice(i + 1) });
      if (!PREFIX.test(name)) break;
    }
  }
  return out;
}

/* git's options before its command that take a value of their own */
const GIT_VALUE_OPTS = new Set(['-c', '-C', '--git-dir', '--work-tree', '--namespace', '--exec-path', '--config-env']);

/** The lines of `after` that `before` did not have: what a rewrite added. */
export function addedLines(before: string, after: string): string[] {
  const old = new Set(before.split('\n'));
  return after.split('\n').filter((l) => !old.has(l));
}

/** A package.json's scripts that are strings, by name; undefined when it is half-written or not JSON. */
export function packageScripts(text: string): Map<string, string> | undefined {
  try {
    const scripts = (JSON.parse(text) as { scripts?: Record<string, unknown> }).scripts ?? {};
    return new Map(Object.entries(scripts).filter((kv): kv is [string, string] => typeof kv[1] === 'string'));
  } catch {
    return undefined;
  }
}

/** A git command line's command and that command's own words, past git's global options; undefined for another program. */
export function gitCommand(argv: string[]): { sub: string | undefined; args: string[] } | undefined {
  if ((argv[0] ?? '').split('/').pop() !== 'git') return undefined;
  let i = 1;
  while (i < argv.length && (argv[i] ?? '').startsWith('-')) i += GIT_VALUE_OPTS.has(argv[i] ?? '') ? 2 : 1;
  return { sub: argv[i], args: argv.slice(i + 1) };
}

/* git settings whose value git runs as a command (or that pull in a file of them) */
const GIT_RUNS =
  /\[core\][^[]*?\b(hooksPath|fsmonitor|sshCommand|pager|editor|askPass)\b|\[alias\][^[]*?=\s*["']?!|\b(core\.(hooksPath|fsmonitor|sshCommand|pager|editor|askPass)|sequence\.editor|credential\.helper|gpg\.program|include\.path|includeIf\.[^\s=]+\.path|uploadpack\.packObjectsHook|filter\.[^\s.=]+\.(clean|smudge|process)|diff\.[^\s.=]+\.(textconv|command)|alias\.[^\s=]+\s*=?\s*["']?!)/i;

/* values that turn such a setting off, or name nothing to run */
const OFF = /^(false|no|off|0|true|yes|on|1|\/dev\/null|)$/i;

/**
 * A git configuration set to run a command: `git config core.hooksPath ...`, or a shell line
 * writing such a setting into a git config file. Refused or not (the default policy keeps the
 * workspace's .git/config read-only), the attempt is the finding.
 */
export function gitConfiguredToRun(e: WardenEvent): string | undefined {
  if (e.type !== 'exec' || e.attribution === 'agent-runtime') return undefined;
  /* a -c for one command only (agents' own git: -c core.hooksPath=/dev/null) sets nothing */
  const strip = (words: string[]): string => words.join(' ').replace(/(^|\s)-c\s+\S+/g, ' ');
  const git = gitCommand(e.argv);
  if (git) {
    const reads = git.args.some((a) =>
      /^(--get|--get-all|--get-regexp|--list|-l|--show-origin|--unset|--unset-all|--remove-section)$/.test(a),
    );
    if (git.sub !== 'config' || reads) return undefined;
    /* the setting's value, the word after its name: a value that turns it off runs nothing (opencode
     * sets core.fsmonitor false on its snapshots) */
    const at = git.args.findIndex((a, i) => GIT_RUNS.test(`${a} ${git.args[i + 1] ?? ''}`));
    const value = at < 0 ? undefined : (git.args[at + 1] ?? '');
    return value !== undefined && !OFF.test(value) ? git.args[at] : undefined;
  }
  const line = strip(e.argv);
  if (!/(\/|\s)\.git\/config\b|\.gitconfig\b|\.config\/git\/config\b/.test(line)) return undefined;
  const m = GIT_RUNS.exec(line);
  const value = m ? /^\s*=?\s*["']?([^"'\s\\]*)/.exec(line.slice((m.index ?? 0) + m[0].length))?.[1] : undefined;
  return m && !OFF.test(value ?? '') ? m[0] : undefined;
}
