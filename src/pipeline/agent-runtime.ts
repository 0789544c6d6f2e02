/**
 * What agent programs do of their own accord, with no tool call behind it:
 * reading their state, probing the repository at start, snapshotting the
 * shell, running hooks. Such actions are `agent-runtime`, not `undeclared`.
 * Kept narrow on purpose: anything else the agent process does outside a
 * tool call is a finding.
 */
import { homedir } from 'node:os';

/** Programs agent CLIs run by themselves (matched against the whole argv, joined by spaces). */
const RUNTIME_EXECS: RegExp[] = [
  /^(\S*\/)?rg (--version|--no-config|--files)/,
  /^(\S*\/)?(ba|z)?sh -c (-l )?(SNAPSHOT_FILE=|env$|ps aux \| grep)/,
  /^(\S*\/)?(ba|z)?sh -c (-l )?(command -v|which) \S+$/,
  /^(\S*\/)?(which|env|ps|id|uname|locale|getconf)( |$)/,
  /^(\S*\/)?(ba|z)?sh -c set -e; \. "[^"]*shell_snapshots\// /* Codex checks its shell snapshot */,
  /* Qwen Code keeps the machine awake while a response streams */
  /^(\S*\/)?systemd-inhibit --what=sleep( --(who|why)=[^=]*)* --mode=block sleep infinity$/,
];

/**
 * Warden's own hook as an agent CLI runs it, and nothing more on the line: `sh -c '<root>/sensor/
 * build/warden-hook'` (what `warden hooks install` writes), older installs' `'<root>/bin/warden' hook`,
 * either with `--agent NAME` and `--policy FILE`. With Warden's root known, only Warden's own programs;
 * else any such path.
 */
function hookPattern(root?: string): RegExp {
  const at = root ? root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : '\\S*';
  const hook = `'?(?:${at}/sensor/build/warden-hook|${at}/bin/warden'? hook)'?(?: --agent [a-z]+)?(?: --policy (?:'[^']*'|\\S+))?`;
  return new RegExp(`^(?:(?:\\S*/)?(?:ba|z|da)?sh -c )?${hook}$`);
}

/** Where agent CLIs keep their own state. */
function runtimePaths(home: string): RegExp[] {
  const h = home.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return [
    new RegExp(
      `^${h}/\\.(claude|codex|gemini|qwen|opencode|cache|local/state|local/share/(claude|opencode)|config/(claude|opencode|gcloud/logs))(/|$)`,
    ),
    new RegExp(`^${h}/\\.claude\\.json`),
    /^\/tmp\/(claude|codex|gemini|qwen|opencode)[^/]*(\/|$)/,
    /^\/tmp\/cc-socks(\/|$)/ /* the latest Claude Code's sockets between its own processes */,
    /^\/dev\/(null|tty|pts\/\d+|urandom|random|ptmx)$/,
    /^\/proc\//,
    /^\/sys\/kernel\/(debug\/)?tracing\/trace_marker$/ /* runtimes that mark their own traces */,
  ];
}

/*
 * git as agent CLIs run it themselves: repository probes at start (`git --no-optional-locks
 * status`, `git config user.name`), and Claude Code's snapshots of the workspace to show what a
 * Bash call changed (write-tree, commit-tree into its own git directory under /tmp/claude-*).
 * Global options (`-c k=v`, whose value may hold spaces, `-C dir`) are skipped, not matched.
 */
const GIT_RUNTIME = new Set([
  'ls-files',
  'rev-parse',
  'status',
  'log',
  'diff',
  'diff-tree',
  'diff-index',
  'show',
  'symbolic-ref',
  'describe',
  'check-ignore',
  'cat-file',
  'ls-tree',
  'for-each-ref',
  'merge-base',
  'write-tree',
  'commit-tree',
  'update-index',
  'hash-object',
  '--version',
]);

function isGitRuntime(argv: string[]): boolean {
  if (!/(^|\/)git$/.test(argv[0] ?? '')) return false;
  let i = 1;
  while (i < argv.length) {
    const a = argv[i] ?? '';
    if (a === '-c' || a === '-C') i += 2;
    else if (a.startsWith('--') && a !== '--version' && !a.includes(' ')) i += 1;
    else break;
  }
  const [sub, ...rest] = argv.slice(i);
  if (!sub) return false;
  if (GIT_RUNTIME.has(sub)) return true;
  if (sub === 'config')
    return rest[0]?.startsWith('--get') === true || (rest.length === 1 && /^user\.(name|email)$/.test(rest[0] ?? ''));
  if (sub === 'remote') return rest.length === 0 || rest[0] === 'get-url' || rest[0] === '-v';
  if (sub === 'worktree') return rest[0] === 'list';
  if (sub === 'branch') return rest.every((r) => r.startsWith('-') && !/^-[dDmMcC]$|^--(delete|move|copy)/.test(r));
  return false;
}

/* never learnt as upkeep: a shell, an interpreter or a network tool runs anything */
const UNLEARNABLE =
  /^((ba|z|da|k|fi)?sh|python[\d.]*|node|bun|deno|perl|ruby|php|env|xargs|sudo|curl|wget|nc|ncat|netcat|socat|ssh|scp|sftp|telnet|ftp|rsync)$/;

/**
 * What kind of run an argv is, for learning an agent's upkeep: the program and its subcommand,
 * global options and their values skipped (`git -c k=v --git-dir D config --get x` is `git config`).
 * Undefined for what is never learnt.
 */
export function execShape(argv: string[]): string | undefined {
  const prog = (argv[0] ?? '').split('/').pop() ?? '';
  if (!prog || UNLEARNABLE.test(prog)) return undefined;
  let i = 1;
  while (i < argv.length) {
    const a = argv[i] ?? '';
    if (a === '-c' || a === '-C' || a === '--git-dir' || a === '--work-tree' || a === '--namespace') i += 2;
    else if (a.startsWith('-')) i += 1;
    else break;
  }
  const sub = argv[i];
  return sub && /^[a-z][\w-]{0,30}$/.test(sub) ? `${prog} ${sub}` : prog;
}

export class AgentRuntimeProfile {
  private readonly paths: RegExp[];
  private readonly learnt: Set<string>;

  private readonly hook: RegExp;

  /**
   * `learnt`: shapes of what the agent ran by itself in its benign sessions (its baseline's upkeep);
   * `wardenRoot`: where Warden is installed, so that only its own hook counts as one
   */
  constructor(home = homedir(), learnt: Iterable<string> = [], wardenRoot?: string) {
    this.paths = runtimePaths(home);
    this.learnt = new Set(learnt);
    this.hook = hookPattern(wardenRoot);
  }

  isRuntimeExec(argv: string[]): boolean {
    if (isGitRuntime(argv)) return true;
    const shape = this.learnt.size ? execShape(argv) : undefined;
    if (shape !== undefined && this.learnt.has(shape)) return true;
    const line = argv.join(' ');
    return this.hook.test(line) || RUNTIME_EXECS.some((re) => re.test(line));
  }

  isRuntimePath(path: string): boolean {
    return this.paths.some((re) => re.test(path));
  }
}
