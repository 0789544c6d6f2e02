/**
 * The labeled corpus: recorded and authored sessions, each a trace of events
 * with the detectors it should set off (none for a benign one). Traces are
 * terse on disk; the loader fills in what every event carries and checks the
 * result against the event schema, so a trace is what the pipeline produces.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { EventSchema, type WardenEvent } from '../model/events.js';
import { FdNames } from '../pipeline/fd-names.js';
import { LinkNames } from '../pipeline/link-names.js';
import { openFlagNames } from '../pipeline/names.js';
import { writtenPath } from './facts.js';
import { readCommitted } from '../safe-read.js';

export const TraceSchema = z.object({
  label: z.enum(['benign', 'attack']),
  description: z.string(),
  source: z.enum(['recorded', 'authored']).describe('recorded from a real session, or written to a known attack'),
  agent: z.string().nullable().default(null).describe('the agent a benign session is normal behaviour of (baselines)'),
  expect: z.array(z.string()).default([]).describe('detectors that must fire (attack traces)'),
  workspace: z.string().nullable().default(null),
  files: z.record(z.string(), z.string()).default({}).describe('file contents as detectors would read them'),
  committed: z
    .record(z.string(), z.string())
    .default({})
    .describe("the workspace's last commit of the files the session wrote, as detectors compare them"),
  wardenPids: z.array(z.number().int()).default([1]).describe("Warden's own pids while the session ran"),
  runtimePorts: z
    .array(z.number().int())
    .default([])
    .describe("loopback ports of the session's LLM proxy: the agent's own model traffic"),
  toolCalls: z
    .array(
      z.object({
        id: z.string(),
        name: z.string(),
        input: z.unknown(),
        sources: z.array(z.enum(['llm', 'hook', 'mcp'])).default(['llm']),
        startedUs: z.number().int(),
        endedUs: z.number().int().nullable(),
      }),
    )
    .default([])
    .describe('the tool calls the agent made, so a replay can attribute the events afresh'),
  events: z.array(z.record(z.string(), z.unknown())),
});
export type TraceToolCall = z.infer<typeof TraceSchema>['toolCalls'][number];

export interface Trace {
  name: string;
  label: 'benign' | 'attack';
  source: 'recorded' | 'authored';
  agent: string | null;
  description: string;
  expect: string[];
  workspace: string | null;
  files: Map<string, string>;
  committed: Map<string, string>;
  wardenPids: number[];
  runtimePorts: number[];
  toolCalls: TraceToolCall[];
  events: WardenEvent[];
}

const SYSCALL: Record<string, string> = {
  open: 'openat',
  unlink: 'unlinkat',
  rename: 'renameat2',
  mkdir: 'mkdirat',
  chmod: 'fchmodat',
  truncate: 'truncate',
  connect: 'connect',
  send: 'sendto',
  kill: 'kill',
  ptrace: 'ptrace',
  setuid: 'setuid',
  capset: 'capset',
  'exec-failed': 'execve',
};
const FLAGS: Record<string, number> = { r: 0, w: 0o1101, a: 0o2101, rw: 0o102 };

const home = homedir();
/* Recorded traces name the home directory they ran in as HOME_MARK, anywhere in a string (argv
 * too); authored ones write a leading ~. Both become this machine's home, as the detectors know it. */
const HOME_MARK = '{{home}}';
/* agents name per-project state after the project's path, / as - (~/.claude/projects/-home-dev-proj) */
const HOME_KEY_MARK = '{{home-key}}';
const dashed = (dir: string): string => dir.replace(/[^A-Za-z0-9]/g, '-');
const tilde = (v: unknown): unknown =>
  typeof v === 'string'
    ? v
        .replace(/^~(?=\/|$)/, home)
        .replaceAll(HOME_MARK, home)
        .replaceAll(HOME_KEY_MARK, dashed(home))
    : Array.isArray(v)
      ? v.map(tilde)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, tilde(x)]))
        : v;
/** `v` with every mention of `dir` (a home directory) as HOME_MARK, for a trace that loads on any machine. */
function marked(v: unknown, dir: string): unknown {
  if (typeof v === 'string')
    return v === dir
      ? HOME_MARK
      : v.replaceAll(`${dir}/`, `${HOME_MARK}/`).replaceAll(`${dashed(dir)}-`, `${HOME_KEY_MARK}-`);
  if (Array.isArray(v)) return v.map((x) => marked(x, dir));
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [marked(k, dir) as string, marked(x, dir)]));
  return v;
}

/** One terse event -> a full event. Recorded traces are already full and pass through. */
function expand(
  raw: Record<string, unknown>,
  i: number,
  trace: string,
  t0: number,
  execs: Map<number, string>,
  /** where an authored program runs unless it says (the workspace) */
  cwd: string,
): WardenEvent {
  const e: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) e[k] = tilde(v);
  const pid = Number(e.pid ?? 100);
  const type = String(e.type);
  const argv = Array.isArray(e.argv) ? (e.argv as string[]) : [];
  const exe = String(
    e.exe ?? (type === 'exec' ? (argv[0]?.startsWith('/') ? argv[0] : `/usr/bin/${argv[0] ?? 'sh'}`) : '/usr/bin/sh'),
  );
  if (type === 'exec') execs.set(pid, `${trace}-${pid}-${i}`);
  const timeUs = Number(e.timeUs ?? t0 + Number(e.t ?? i) * 1000);
  if (typeof e.flags === 'string') e.flags = FLAGS[e.flags] ?? 0;
  const base: Record<string, unknown> = {
    sessionId: trace,
    time: new Date(timeUs / 1000).toISOString(),
    timeUs,
    pid,
    tid: pid,
    ppid: 1,
    uid: 0,
    gid: 0,
    comm: (exe.split('/').pop() ?? 'sh').slice(0, 15),
    exe,
    execId: execs.get(pid) ?? `${trace}-${pid}`,
    parentExecId: null,
  };
  if (type in SYSCALL) Object.assign(base, { result: 0, syscall: SYSCALL[type] });
  if (type === 'exec') Object.assign(base, { argc: argv.length, argvTruncated: false, cwd });
  if (type === 'open') Object.assign(base, { mode: 0o644, flagNames: openFlagNames(Number(e.flags ?? 0)) });
  if (type === 'connect' || type === 'send')
    Object.assign(base, {
      family: String(e.daddr ?? '').includes(':') ? 'ipv6' : 'ipv4',
      protocol: type === 'send' ? 'udp' : 'tcp',
    });
  if (type === 'send') Object.assign(base, { bytes: 64 });
  if (type === 'dns') Object.assign(base, { qtype: 'A', answers: [], rcode: 'NOERROR', transport: 'udp' });
  if (type === 'exit') Object.assign(base, { code: 0, signal: null });
  if (type === 'unlink') Object.assign(base, { dir: false });
  if (type === 'rename') Object.assign(base, { flags: 0 });
  if (type === 'chmod' || type === 'mkdir') Object.assign(base, { mode: 0o755 });
  delete e.t;
  return EventSchema.parse(Object.assign(base, e));
}

export function loadTrace(file: string, root: string): Trace {
  const name = relative(root, file).replace(/\.json(\.gz)?$/, '');
  const raw = readFileSync(file);
  /* recorded sessions are large and kept gzipped */
  const t = TraceSchema.parse(JSON.parse((file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8')));
  const execs = new Map<number, string>();
  const t0 = Date.UTC(2026, 0, 1) * 1000;
  const workspace = t.workspace === null ? null : String(tilde(t.workspace));
  /* names through descriptors a live read of /proc missed, from the trace's own opens */
  const fds = new FdNames(null);
  const links = new LinkNames(null);
  return {
    name,
    label: t.label,
    source: t.source,
    agent: t.agent,
    description: t.description,
    expect: t.expect,
    workspace,
    files: new Map(Object.entries(t.files).map(([k, v]) => [String(tilde(k)), v])),
    committed: new Map(Object.entries(t.committed).map(([k, v]) => [String(tilde(k)), v])),
    wardenPids: t.wardenPids,
    runtimePorts: t.runtimePorts,
    toolCalls: t.toolCalls.map((c) => ({ ...c, input: tilde(c.input) })),
    events: t.events.map((raw, i) => {
      try {
        const e = expand(raw, i, name, t0, execs, workspace ?? '/');
        fds.see(e);
        links.see(e);
        return e;
      } catch (err) {
        throw new Error(`${file}: event ${i}: ${(err as Error).message.slice(0, 300)}`);
      }
    }),
  };
}

/** A stored session as a recorded trace: full events, its tool calls, the files it left written. */
export function traceOf(
  events: WardenEvent[],
  opts: {
    label: 'benign' | 'attack';
    agent: string | null;
    description: string;
    expect: string[];
    workspace: string | null;
    wardenPids: number[];
    runtimePorts: number[];
    toolCalls: TraceToolCall[];
    files: Record<string, string>;
    committed: Record<string, string>;
    /** the home directory the session ran with: written as HOME_MARK */
    home: string;
  },
): z.input<typeof TraceSchema> {
  const h = opts.home.replace(/\/+$/, '');
  const mark = <T>(v: T): T => (h ? (marked(v, h) as T) : v);
  return {
    label: opts.label,
    source: 'recorded',
    agent: opts.agent,
    description: opts.description,
    expect: opts.expect,
    workspace: mark(opts.workspace),
    wardenPids: opts.wardenPids,
    runtimePorts: opts.runtimePorts,
    toolCalls: mark(opts.toolCalls),
    files: mark(opts.files),
    committed: mark(opts.committed),
    events: events.map((e) => {
      /* the live session's attribution is not kept: a replay attributes afresh */
      const { id: _id, attribution: _a, toolCallId: _t, ...rest } = e;
      return mark(rest);
    }),
  };
}

/** The workspace's last commit of each of `paths` it holds. */
export function committedFiles(workspace: string, paths: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of paths) {
    const text = readCommitted(workspace, p, 64 << 10);
    if (text !== undefined) out[p] = text;
  }
  return out;
}

/** What the files a session wrote hold now (small regular files only): detectors that judge content read them. */
export function writtenFiles(events: WardenEvent[], maxBytes = 64 << 10, maxFiles = 300): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of events) {
    const p = writtenPath(e);
    if (!p || p in out || Object.keys(out).length >= maxFiles) continue;
    try {
      const st = statSync(p);
      if (st.isFile() && st.size <= maxBytes) out[p] = readFileSync(p, 'utf8');
    } catch {
      /* gone since, or unreadable: the detector will not find it either */
    }
  }
  return out;
}

export function loadCorpus(dir: string): Trace[] {
  const out: Trace[] = [];
  /* traces live in folders; files at the top are about the corpus (README.md, scores.json) */
  const walk = (d: string): void => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (d !== dir && (f.endsWith('.json') || f.endsWith('.json.gz'))) out.push(loadTrace(p, dir));
    }
  };
  walk(dir);
  return out;
}
