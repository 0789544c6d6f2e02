/**
 * Operations that destroy work: a recursive delete of a home, the root, the
 * workspace or anything outside the work; many files deleted at once; forced
 * pushes and history rewrites. Scratch space (temp directories, caches,
 * installed dependency trees, agents' own state) and build output are nobody's
 * work: clearing them is housekeeping.
 */
import { resolve } from 'node:path';
import type { WardenEvent } from '../../../model/events.js';
import { AgentRuntimeProfile } from '../../../pipeline/agent-runtime.js';
import type { Detector, Signal } from '../../detector.js';
import { refusedByError } from '../../../enforce/judge.js';
import { gitCommand, HOME, inDependencyTree, program, within, writtenPath } from '../../facts.js';

const MASS_DELETES = 200;
/* files of someone else's work deleted at once: a tree being removed, by whatever program */
const OUTSIDE_DELETES = 5;
const MADE_MAX = 100_000;
const WINDOW_US = 10_000_000;
const short = (args: string[], flag: string): boolean =>
  args.some((a) => new RegExp(`^-[a-zA-Z]*${flag}[a-zA-Z]*$`).test(a));

/** What a git command line destroys, read as git reads it: its command after the global options, then that command's own flags. */
export function gitDestroys(argv: string[]): boolean {
  const { sub, args } = gitCommand(argv) ?? { sub: undefined, args: [] };
  const has = (...flags: string[]): boolean => args.some((a) => flags.some((f) => a === f || a.startsWith(`${f}=`)));
  switch (sub) {
    case 'push':
      return (
        has('--force', '--force-with-lease', '--mirror', '--delete') ||
        short(args, 'f') ||
        args.some((a) => a.startsWith('+') || a.startsWith(':'))
      );
    case 'reset':
      return has('--hard');
    case 'filter-branch':
    case 'filter-repo':
      return true;
    case 'clean':
      return (has('--force') || short(args, 'f')) && (short(args, 'd') || short(args, 'x'));
    case 'branch':
      return short(args, 'D') || (has('--delete') && has('--force'));
    case 'reflog':
      return args[0] === 'expire' || args[0] === 'delete';
    case 'gc':
      return has('--prune') && args.some((a) => a === '--prune=now' || a === '--prune=all');
    case 'update-ref':
      return args[0] === '-d';
    default:
      return false;
  }
}

/* temp space, and the caches package managers fill and clear themselves (go clean -modcache, cargo's registry) */
const SCRATCH = new RegExp(
  `^(/tmp|/var/tmp|/dev/shm|/run/user/\\d+|${HOME}/(\\.(cache|npm|yarn|pnpm-store|bun/install|cargo/registry|cargo/git|m2/repository|gradle/caches|nuget/packages)|go/pkg))(/|$)`,
);
const runtime = new AgentRuntimeProfile();
const isScratch = (p: string): boolean => SCRATCH.test(p) || inDependencyTree(p) || runtime.isRuntimePath(p);
/* what a build or a tool regenerates: clearing it in the workspace loses nothing */
const REGENERATED =
  /\/(dist|build|out|target|coverage|\.next|\.nuxt|\.turbo|\.parcel-cache|\.venv|venv|\.pytest_cache|\.mypy_cache|\.ruff_cache|\.git\/objects|\.git\/refs|\.git\/logs)\//;
const expendable = (p: string, ws: string | null): boolean =>
  isScratch(p) || (within(p, ws) && REGENERATED.test(p.slice((ws ?? '').length)));

/* what holds a repository's history: deleting any of it outside git loses commits nobody pushed */
const HISTORY = /^\/\.git(\/(objects|refs)(\/|$)|\/(HEAD|packed-refs|config)$|$)/;
const isGit = (e: WardenEvent): boolean => /\/git(-core\/[^/]+|$)/.test(e.exe);

/** The workspace's own history deleted by something other than git (rm -rf .git, shutil.rmtree), or tried. */
function historyDeleted(e: WardenEvent, ws: string | null, gitRuns: Set<string>): boolean {
  if (e.type !== 'unlink' || !ws || !within(e.path, ws) || e.attribution === 'agent-runtime') return false;
  if (isGit(e) || gitRuns.has(e.execId)) return false;
  return (
    HISTORY.test(e.path.slice(ws.length)) && (e.result >= 0 || e.decision?.verdict === 'denied' || refusedByError(e))
  );
}

type Exec = Extract<WardenEvent, { type: 'exec' }>;
type Unlink = Extract<WardenEvent, { type: 'unlink' }>;

/** A command line that destroys work: git rewriting or discarding history, rm -r of a root or of a tree outside the work. */
function destroyingCommand(e: Exec, ws: string | null): Signal | undefined {
  const p = program(e);
  const line = e.argv.join(' ');
  /* git running itself (a stash resets the tree it saved) is not the agent's command */
  const internal = /\/git-core\//.test(e.argv[0] ?? '');
  if (p === 'git' && !internal && gitDestroys(e.argv))
    return {
      message: `history-destroying git command: ${line.slice(0, 120)}; ordinary work adds commits, it does not rewrite or discard them`,
      events: [e],
      key: line,
    };
  if (p !== 'rm' || !e.argv.some((a) => /^-\w*[rR]/.test(a))) return undefined;
  const roots = ['/', HOME, ws ?? '', '~', '.', '*', '/*', `${HOME}/*`].filter(Boolean);
  const targets = e.argv.slice(1).filter((a) => !a.startsWith('-'));
  const root = targets.find((a) => roots.includes(a.replace(/\/+$/, '') || '/'));
  if (root)
    return {
      severity: 'critical',
      message: `recursive delete of ${root}: ${line.slice(0, 120)}; no task needs a whole home, root or workspace gone`,
      events: [e],
      key: line,
    };
  const outside = ws
    ? targets.map((a) => resolve(e.cwd, a.replace(/^~(?=\/|$)/, HOME))).find((a) => !within(a, ws) && !isScratch(a))
    : undefined;
  return outside
    ? {
        message: `recursive delete of ${outside}, outside the workspace: ${line.slice(0, 120)}; the work deletes only its own files`,
        events: [e],
        key: line,
      }
    : undefined;
}

/** Keeps the events of the last WINDOW_US, `e` included. */
function slide(window: WardenEvent[], e: WardenEvent): void {
  window.push(e);
  while (window.length && (window[0]?.timeUs ?? 0) < e.timeUs - WINDOW_US) window.shift();
}

/**
 * A delete outside the work, however it is done (rm, find -delete, shutil.rmtree, a refused
 * attempt), counted in `window`: a directory gone, a refused delete, or several files at once.
 */
function outsideDelete(e: Unlink, window: WardenEvent[]): Signal | undefined {
  slide(window, e);
  /* refused: by a rule, or by the read-only stand-in over a protected file (EBUSY, EROFS) */
  const refused = e.decision?.verdict === 'denied' || refusedByError(e);
  if (!(e.dir && e.result >= 0) && !refused && window.length < OUTSIDE_DELETES) return undefined;
  const first = window[0] ?? e;
  window.length = 0;
  const what = refused
    ? `delete of ${e.path} attempted (refused)`
    : e.dir
      ? `directory ${e.path} removed`
      : `${OUTSIDE_DELETES} files deleted`;
  return {
    ...(refused && !e.dir ? { severity: 'medium' as const } : {}),
    message: `${what} outside the workspace (from ${first.type === 'unlink' ? first.path : '?'}); the work deletes only its own files and scratch space`,
    events: [first, e],
    key: `outside:${e.dir || refused ? e.path : (first as { path: string }).path}`,
  };
}

/** Many files that are neither scratch nor build output deleted within WINDOW_US. */
function massDelete(e: Unlink, window: WardenEvent[]): Signal | undefined {
  slide(window, e);
  if (window.length < MASS_DELETES) return undefined;
  const first = window[0] ?? e;
  return {
    message: `${window.length} files deleted within ${(WINDOW_US / 1e6).toFixed(0)} s (from ${first.type === 'unlink' ? first.path : '?'}); they are neither scratch space nor build output, which is all that work clears in bulk`,
    events: [first, e],
    key: 'mass-delete',
  };
}

export default function destructive(): Detector {
  const deletes: WardenEvent[] = [];
  const outsideDeletes: WardenEvent[] = [];
  /* what the session made itself (pip's build directories in a TMPDIR of its own): its own to remove */
  const made = new Set<string>();
  /* git's own processes: a branch -d or a gc deletes refs and objects as git should */
  const gitRuns = new Set<string>();
  const one = (s: Signal | undefined): Signal[] | undefined => (s ? [s] : undefined);
  return {
    id: 'destructive',
    severity: 'high',
    tags: ['destructive'],
    description: 'rm -rf of a home, root or workspace tree, many deletes at once, forced pushes and history rewrites',
    event(e, ctx) {
      const wrote = e.type === 'mkdir' && e.result >= 0 ? e.path : writtenPath(e);
      if (wrote && made.size < MADE_MAX) made.add(wrote);
      if (e.type === 'exit') gitRuns.delete(e.execId);
      if (e.type === 'exec') {
        if (program(e) === 'git' || isGit(e)) gitRuns.add(e.execId);
        return one(destroyingCommand(e, ctx.workspace));
      }
      if (e.type !== 'unlink') return undefined;
      if (historyDeleted(e, ctx.workspace, gitRuns))
        return one({
          message: `the repository's history deleted: ${e.path} ${e.result >= 0 ? 'removed' : 'removal attempted (refused)'} by ${e.comm} (pid ${e.pid}); ordinary work adds commits, it does not throw the repository away`,
          events: [e],
          key: `history:${ctx.workspace}`,
        });
      const ws = ctx.workspace;
      if (
        ws &&
        e.attribution !== 'agent-runtime' &&
        !within(e.path, ws) &&
        !expendable(e.path, ws) &&
        !made.has(e.path)
      ) {
        const s = outsideDelete(e, outsideDeletes);
        if (s) return [s];
      }
      return e.result >= 0 && !expendable(e.path, ws) ? one(massDelete(e, deletes)) : undefined;
    },
  };
}
