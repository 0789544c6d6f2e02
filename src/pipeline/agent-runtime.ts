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
  /* repository probes (Claude Code runs `git --no-optional-locks status`, `git config user.name` at start) */
  /^(\S*\/)?git( -[cC] \S+| --no-optional-locks| --no-pager)* (ls-files|config --get|config (user\.name|user\.email)$|rev-parse|status|log|diff|remote|branch|show|symbolic-ref|describe|worktree list|check-ignore)\b/,
  /^(\S*\/)?rg (--version|--no-config|--files)/,
  /^(\S*\/)?(ba|z)?sh -c (-l )?(SNAPSHOT_FILE=|env$|ps aux \| grep)/,
  /^(\S*\/)?(ba|z)?sh -c (-l )?(command -v|which) \S+$/,
  /^(\S*\/)?(which|env|ps|id|uname|locale|getconf)( |$)/,
  /(^|\/)warden['"]? hook( |$)/,
  /^(\S*\/)?(ba|z)?sh -c set -e; \. "[^"]*shell_snapshots\// /* Codex checks its shell snapshot */,
];

/** Where agent CLIs keep their own state. */
function runtimePaths(home: string): RegExp[] {
  const h = home.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return [
    new RegExp(
      `^${h}/\\.(claude|codex|gemini|opencode|cache|local/state|local/share/(claude|opencode)|config/(claude|opencode|gcloud/logs))(/|$)`,
    ),
    new RegExp(`^${h}/\\.claude\\.json`),
    /^\/tmp\/(claude|codex|gemini|opencode)[^/]*(\/|$)/,
    /^\/dev\/(null|tty|pts\/\d+|urandom|random|ptmx)$/,
    /^\/proc\//,
    /^\/sys\/kernel\/(debug\/)?tracing\/trace_marker$/ /* runtimes that mark their own traces */,
  ];
}

export class AgentRuntimeProfile {
  private readonly paths: RegExp[];

  constructor(home = homedir()) {
    this.paths = runtimePaths(home);
  }

  isRuntimeExec(argv: string[]): boolean {
    const line = argv.join(' ');
    return RUNTIME_EXECS.some((re) => re.test(line));
  }

  isRuntimePath(path: string): boolean {
    return this.paths.some((re) => re.test(path));
  }
}
