/** Human-readable views: session tables, one-line events, the process tree. */
import type { ProcessRecord, WardenEvent } from '../model/events.js';
import type { Session } from '../model/session.js';

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint =
  (code: number) =>
  (s: string): string =>
    color ? `\x1b[${code}m${s}\x1b[0m` : s;
export const dim = paint(2);
export const red = paint(31);
export const bold = paint(1);

/** argv as a shell would show it, on one line and bounded. */
export function showArgv(argv: string[], max = 160): string {
  const quoted = argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  return quoted.length > max ? `${quoted.slice(0, max)}…` : quoted;
}

export function fmtTime(us: number | null): string {
  return us === null ? '-' : new Date(us / 1000).toISOString().replace('T', ' ').slice(0, 23);
}

function outcome(e: { result: number; error?: string | undefined }): string {
  return e.result < 0 ? red(e.error ?? String(e.result)) : String(e.result);
}

const hostPort = (addr: string, port: number): string => (addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`);

/** What an event did, in one line (without who did it). */
export function describeEvent(e: WardenEvent): string {
  switch (e.type) {
    case 'exec':
      return `exec ${e.exe} ${showArgv(e.argv)}${e.argvTruncated ? ' (argv truncated)' : ''} cwd=${e.cwd}`;
    case 'fork':
      return `fork -> pid ${e.childPid}`;
    case 'exit':
      return e.signal ? `exit signal ${e.signal}` : `exit ${e.code}`;
    case 'open':
      return `open ${e.path} [${e.flagNames.join('|')}]${e.requestedPath ? ` (asked ${e.requestedPath})` : ''} = ${outcome(e)}`;
    case 'unlink':
      return `${e.dir ? 'rmdir' : 'unlink'} ${e.path} = ${outcome(e)}`;
    case 'rename':
      return `rename ${e.path} -> ${e.newPath} = ${outcome(e)}`;
    case 'mkdir':
      return `mkdir ${e.path} mode ${e.mode.toString(8)} = ${outcome(e)}`;
    case 'link':
      return `link ${e.path} -> ${e.newPath} = ${outcome(e)}`;
    case 'symlink':
      return `symlink ${e.path} -> ${e.target} = ${outcome(e)}`;
    case 'mknod':
      return `mknod ${e.path} mode ${e.mode.toString(8)} = ${outcome(e)}`;
    case 'chmod':
      return `chmod ${e.path} mode ${e.mode.toString(8)} = ${outcome(e)}`;
    case 'truncate':
      return `truncate ${e.path} to ${e.length} = ${outcome(e)}`;
    case 'connect':
      return `connect ${e.protocol} ${hostPort(e.daddr, e.dport)} = ${outcome(e)}`;
    case 'send':
      return `send ${e.protocol} ${hostPort(e.daddr, e.dport)} ${e.bytes} bytes = ${outcome(e)}`;
    case 'bind':
      return `bind ${e.protocol} ${hostPort(e.laddr, e.lport)} = ${outcome(e)}`;
    case 'listen':
      return `listen ${e.protocol} ${hostPort(e.laddr, e.lport)} = ${outcome(e)}`;
    case 'accept':
      return `accept ${e.protocol} from ${hostPort(e.daddr, e.dport)} = ${outcome(e)}`;
    case 'kill':
      return `${e.syscall} pid ${e.target} signal ${e.signal} = ${outcome(e)}`;
    case 'ptrace':
      return `ptrace request ${e.request} pid ${e.target} = ${outcome(e)}`;
    case 'setuid':
      return `${e.syscall}(${e.ids.filter((i, n) => n === 0 || i !== -1).join(', ')}) = ${outcome(e)}`;
    case 'capset':
      return `capset eff=${e.effective} prm=${e.permitted} inh=${e.inheritable} = ${outcome(e)}`;
    case 'exec-failed':
      return `exec ${e.path} failed = ${outcome(e)}`;
    case 'dns':
      return `dns ${e.qtype} ${e.name} -> ${e.answers.join(', ') || e.rcode}`;
    case 'action':
      return `warden ${e.action} pid ${e.targetPid} for ${e.trigger} (${(e.latencyUs / 1000).toFixed(1)} ms after) = ${e.result}`;
  }
}

/** The decision tag shown after an action: [DENIED rule by mechanism]. */
export function decisionTag(e: WardenEvent): string {
  const d = e.decision;
  if (!d || d.verdict === 'allowed') return '';
  const text = `[${d.verdict.toUpperCase()} ${d.rule} by ${d.mechanism}]`;
  return ' ' + (d.verdict === 'denied' ? red(text) : bold(text));
}

export function eventLine(e: WardenEvent): string {
  return `${dim(fmtTime(e.timeUs))} ${String(e.pid).padStart(7)} ${e.comm.padEnd(15)} ${describeEvent(e)}${decisionTag(e)}`;
}

export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function sessionsTable(sessions: Session[]): string {
  const rows = [['SESSION', 'STARTED', 'STATUS', 'EXIT', 'EVENTS', 'LOST', 'NAME']];
  for (const s of sessions) {
    const exit = s.exitSignal ? `sig ${s.exitSignal}` : s.exitCode === null ? '-' : String(s.exitCode);
    rows.push([s.id, fmtTime(s.startedUs), s.status, exit, String(s.events), String(s.lost), s.name]);
  }
  return table(rows);
}

const LIFECYCLE = new Set(['fork', 'exec', 'exit']);
const ROUTINE_PREFIXES = ['/usr/lib/', '/lib/', '/lib64/', '/usr/lib64/', '/usr/share/locale/', '/usr/share/zoneinfo/'];
const ROUTINE_FILES = new Set(['/etc/ld.so.cache', '/etc/locale.alias', '/etc/localtime']);

/**
 * What every program does at start and nobody needs to read: read-only opens of
 * shared libraries and locale files, and execvp's PATH search (ENOENT).
 */
export function isRoutineRead(e: WardenEvent): boolean {
  if (e.decision) return false;
  if (e.type === 'exec-failed') return e.error === 'ENOENT';
  if (e.type !== 'open' || (e.flags & 3) !== 0 || (e.flags & 0o1100) !== 0) return false;
  const p = e.requestedPath ?? e.path;
  return ROUTINE_FILES.has(p) || ROUTINE_PREFIXES.some((pre) => p.startsWith(pre) || e.path.startsWith(pre));
}

/**
 * The session's process tree, each process with its actions. A fork record
 * that only went on to exec is folded into the image it became.
 */
export function renderTree(procs: ProcessRecord[], events: WardenEvent[], maxActions = 25, all = false): string {
  const byExec = new Map(procs.map((p) => [p.execId, p]));
  const actions = new Map<string, WardenEvent[]>();
  const routine = new Map<string, number>();
  for (const e of events) {
    if (LIFECYCLE.has(e.type)) continue;
    if (!all && isRoutineRead(e)) {
      routine.set(e.execId, (routine.get(e.execId) ?? 0) + 1);
      continue;
    }
    const list = actions.get(e.execId) ?? [];
    list.push(e);
    actions.set(e.execId, list);
  }
  const children = new Map<string, ProcessRecord[]>();
  const roots: ProcessRecord[] = [];
  for (const p of procs) {
    if (p.parentExecId && byExec.has(p.parentExecId)) {
      const list = children.get(p.parentExecId) ?? [];
      list.push(p);
      children.set(p.parentExecId, list);
    } else roots.push(p);
  }
  const fold = (p: ProcessRecord): ProcessRecord => {
    const kids = children.get(p.execId) ?? [];
    const only = kids[0];
    if (p.origin === 'fork' && kids.length === 1 && only && only.pid === p.pid && !actions.get(p.execId)?.length) {
      return fold(only);
    }
    return p;
  };
  const lines: string[] = [];
  const visit = (raw: ProcessRecord, prefix: string, last: boolean, top: boolean): void => {
    const p = fold(raw);
    const end = p.exitSignal
      ? ` ${red(`killed by signal ${p.exitSignal}`)}`
      : p.exitCode !== null
        ? ` exit ${p.exitCode}`
        : '';
    const label = p.origin === 'fork' ? `${p.comm} (fork)` : `${p.argv.length ? showArgv(p.argv) : p.comm}`;
    const branch = top ? '' : last ? '└─ ' : '├─ ';
    lines.push(`${prefix}${branch}${bold(String(p.pid))} ${label}${dim(end)}`);
    const inner = top ? prefix : prefix + (last ? '   ' : '│  ');
    const acts = actions.get(p.execId) ?? [];
    const kids = (children.get(p.execId) ?? []).filter((k) => k !== p);
    const bar = `${inner}${kids.length ? '│' : ' '}   `;
    for (const a of acts.slice(0, maxActions)) lines.push(`${bar}${dim('·')} ${describeEvent(a)}${decisionTag(a)}`);
    if (acts.length > maxActions) lines.push(`${bar}${dim(`· ... ${acts.length - maxActions} more`)}`);
    const quiet = routine.get(p.execId);
    if (quiet) lines.push(`${bar}${dim(`· ${quiet} routine reads (shared libraries, locale, PATH search) not shown`)}`);
    kids.forEach((k, i) => visit(k, inner, i === kids.length - 1, false));
  };
  roots.forEach((r) => visit(r, '', true, true));
  return lines.join('\n');
}

export function sessionSummary(s: Session, events: WardenEvent[]): string {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
  const byType = [...counts].map(([t, n]) => `${t} ${n}`).join(', ');
  const exit = s.exitSignal ? `killed by signal ${s.exitSignal}` : `exit ${s.exitCode}`;
  const lines = [
    `${bold('warden')} session ${s.id} (${s.name}): ${exit}, ${s.events} events${byType ? ` (${byType})` : ''}`,
  ];
  if (s.policy) {
    const m = s.mechanisms;
    const refused = m?.unavailable.length ? ` (refused by this kernel: ${m.unavailable.join(', ')})` : '';
    lines.push(`  policy ${s.policy}, enforced by ${m?.active.join(', ') ?? '?'}${refused}`);
  } else if (s.mechanisms)
    lines.push(`  monitor only (no policy); Warden protected by ${s.mechanisms.active.join(', ')}`);
  const verdicts = (v: string): number => events.filter((e) => e.decision?.verdict === v).length;
  const [denied, would] = [verdicts('denied'), verdicts('would-deny')];
  if (denied || would) {
    lines.push(`  decisions: ${denied} denied, ${would} would-deny`);
    /* each limit that spoke, and what held it: a mechanism, or nothing (detected only) */
    const held = new Map<string, number>();
    for (const e of events) {
      const d = e.decision;
      if (d?.verdict !== 'denied' && d?.verdict !== 'would-deny') continue;
      const how =
        d.mechanism === 'unenforced'
          ? red('detected only, nothing stopped it')
          : d.mechanism === 'audit'
            ? 'audit mode: recorded, not blocked'
            : `held by ${d.mechanism}`;
      const key = `    ${d.verdict} ${d.rule}: ${how}`;
      held.set(key, (held.get(key) ?? 0) + 1);
    }
    for (const [line, n] of held) lines.push(`${line} (${n})`);
  }
  if (s.lost > 0)
    lines.push(red(`  ${s.lost} events were lost in the kernel (ring buffer full): this record is incomplete`));
  for (const l of s.lingering ?? []) {
    lines.push(red(`  outlived the session and was ${l.action}: pid ${l.pid} ${showArgv(l.argv) || l.comm}`));
  }
  return lines.join('\n');
}

/** A one-line progress counter on stderr, shown only on a terminal. */
export function progress(label: string): { step: (n: number, total: number) => void; done: () => void } {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  return {
    step: (n, total) => {
      if (!tty || (Date.now() - last < 100 && n < total)) return;
      last = Date.now();
      process.stderr.write(`\r${label} ${n}/${total}`);
    },
    done: () => {
      if (tty) process.stderr.write('\r\x1b[K');
    },
  };
}
