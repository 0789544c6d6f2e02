/**
 * Links each kernel action of an agent session to the tool call that caused
 * it: by process lineage from the process a tool spawned (matched on its
 * command line), by the paths a file tool names, and by the time a call was
 * open. What no tool call explains is `undeclared`; what a call did beyond
 * what it said (a "run the tests" that also reaches a new host) is an
 * intent mismatch. Both become findings.
 */
import { existsSync } from 'node:fs';
import type { ToolCall } from '../model/records.js';
import { declaredText } from '../applayer/tool-actions.js';
import { AgentRuntimeProfile } from './agent-runtime.js';
import type { WardenEvent } from '../model/events.js';
import { isCredentialPath, isLoopback, opensForWrite, opensNameOnly } from './names.js';
import { nsPids } from './process-table.js';
import { describe, isChange, NET_TOOLS, undeclaredHarm } from './undeclared.js';

export interface Finding {
  detector: 'undeclared-action' | 'intent-mismatch';
  severity: 'low' | 'medium' | 'high';
  message: string;
  toolCallId: string | null;
  events: WardenEvent[];
  data: Record<string, unknown>;
}

type Attribution =
  | { kind: 'tool-call'; call: string }
  | { kind: 'agent-runtime' }
  | { kind: 'undeclared' }
  /* an MCP server behind `warden mcp` in the session: its actions belong to the call it is serving */
  | { kind: 'mcp-server'; server: string };
type Resolved = Exclude<Attribution, { kind: 'mcp-server' }>;

interface OpenCall {
  call: ToolCall;
  shell: string | null;
  /** normalized declared text, to check what the call's actions reach against */
  declared: string;
  paths: string[];
  endedUs: number | null;
}

const SHELL_TOOL = /^(bash|shell|exec_command|run_shell_command|local_shell|execute_command|terminal)$/i;
const GRACE_US = 1_000_000;
/* `warden mcp --name NAME ...`, as its argv reads: bin/warden's, then the node it execs (the bundle's
 * entry, or the compiled one) */
const MCP_PROXY = /(?:\/warden['"]?|\/(?:bundle|cli)\/warden\.js|cli\/main\.js) mcp .*?--name (\S+)/;
const norm = (s: string): string => s.replace(/['"\\\s]/g, '');

const FILE_TYPES = new Set<WardenEvent['type']>([
  'open',
  'unlink',
  'rename',
  'mkdir',
  'chmod',
  'truncate',
  'link',
  'symlink',
  'mknod',
]);

/**
 * A file call of Warden's launcher (`launchBin`), not the agent's: setting up the session, or the
 * supervisor (sensor/launcher/supervise.c) locating and doing a call on the agent's behalf, whose
 * own event of the same call says it with the agent's pid. Never stored, never judged.
 */
export function isLaunchersOwn(e: WardenEvent, launchBin: string): boolean {
  return FILE_TYPES.has(e.type) && e.exe === launchBin;
}

export interface CorrelatorOptions {
  /** names an address was resolved from, by the session's DNS */
  namesOf?: (addr: string) => string[];
  profile?: AgentRuntimeProfile;
}

export class Correlator {
  /** loopback ports where the agent's own traffic goes (the LLM proxy): never a finding */
  readonly runtimePorts = new Set<number>();
  /** every call of the session, for what a call declared (background processes act long after) */
  private readonly calls = new Map<string, OpenCall>();
  /** the calls still worth matching new processes and paths against */
  private readonly recent = new Map<string, OpenCall>();
  private readonly attribution = new Map<string, Attribution>();
  private readonly parentOf = new Map<string, string | null>();
  /** pids seen acting in the session: the agent signalling its own children is housekeeping */
  private readonly sessionPids = new Set<number>();
  /** exec ids of agent programs: the session's first program, and whatever talks to the LLM proxy */
  private readonly agents = new Set<string>();
  private rootSeen = false;
  /** the agent has spoken (a model request or a tool call): before that, the session is launching */
  private live = false;
  private readonly reported = new Set<string>();
  private readonly undeclaredRoots = new Set<string>();
  private readonly execOfPid = new Map<number, string>();
  private pending: Finding[] = [];
  private readonly profile: AgentRuntimeProfile;

  constructor(private readonly o: CorrelatorOptions) {
    this.profile = o.profile ?? new AgentRuntimeProfile();
  }

  started(call: ToolCall): void {
    this.live = true;
    this.prune(call.startedUs);
    const args = call.input as { command?: unknown; cmd?: unknown } | null;
    const shellCmd = args?.command ?? args?.cmd; /* Codex's exec_command says cmd */
    const shell =
      SHELL_TOOL.test(call.name) && (typeof shellCmd === 'string' || Array.isArray(shellCmd))
        ? norm(Array.isArray(shellCmd) ? shellCmd.join(' ') : shellCmd).slice(0, 200)
        : null;
    const input = (call.input ?? {}) as Record<string, unknown>;
    const paths = ['file_path', 'path', 'notebook_path', 'filePath']
      .map((k) => input[k])
      .filter((v): v is string => typeof v === 'string');
    const prior = this.calls.get(call.id);
    const entry: OpenCall = {
      call,
      shell: shell ?? prior?.shell ?? null,
      declared: declaredText(call.name, call.input).toLowerCase(),
      paths: paths.length ? paths : (prior?.paths ?? []),
      endedUs: null,
    };
    this.calls.set(call.id, entry);
    this.recent.set(call.id, entry);
  }

  /** Calls long over can explain nothing new (their processes keep their attribution): the hot path stays short. */
  private prune(nowUs: number): void {
    for (const [id, c] of this.recent)
      if (c.endedUs !== null && c.endedUs + 10 * GRACE_US < nowUs) this.recent.delete(id);
  }

  ended(call: ToolCall): void {
    const open = this.calls.get(call.id);
    if (open) open.endedUs = call.endedUs ?? Date.now() * 1000;
  }

  /** Annotates `e` in place; findings wait for `flush` (after the event is handed on). */
  handle(e: WardenEvent): void {
    this.learn(e);
    if (!this.live) {
      /* no model request or tool call yet: launching, or not an agent session at all. What the agent
       * starts now (shell snapshots, helpers) is its own upkeep if it later turns out to be an agent */
      if (e.type === 'exec' && !this.agents.has(e.execId)) {
        /* an MCP server the agent starts with itself (the latest Claude Code does, before its first
         * request) serves the calls to come: its actions then are theirs, not upkeep */
        const mcp = MCP_PROXY.exec(e.argv.join(' '));
        const serving = this.inherited(e.execId);
        this.attribution.set(
          e.execId,
          serving?.kind === 'mcp-server'
            ? serving
            : mcp
              ? { kind: 'mcp-server', server: mcp[1] ?? 'server' }
              : { kind: 'agent-runtime' },
        );
      }
      /* the agent program setting up its own state as it starts (Gemini CLI saving its settings); a
       * session that never speaks to a model is judged in full, so only writes to agents' state */
      const path = 'path' in e ? e.path : undefined;
      const launching = this.agents.has(e.execId) || this.attribution.get(e.execId)?.kind === 'agent-runtime';
      if (
        path !== undefined &&
        launching &&
        isChange(e) &&
        !/^\/(proc|sys|dev)\//.test(path) &&
        this.profile.isRuntimePath(path)
      )
        e.attribution = 'agent-runtime';
      return;
    }
    const decidedHere = !this.attribution.has(e.execId) && this.inherited(e.execId) === undefined;
    const a = this.attribute(e);
    if (!a) return;
    e.attribution = a.kind;
    if (a.kind === 'tool-call') {
      e.toolCallId = a.call;
      this.checkIntent(e, a.call);
    } else if (a.kind === 'undeclared') {
      /* one finding per undeclared program and kind of action; what it starts is covered by it */
      if (decidedHere) this.undeclaredRoots.add(e.execId);
      if (this.undeclaredRoots.has(e.execId) || this.agents.has(e.execId)) this.reportUndeclared(e);
    }
  }

  /** The findings of the events handled so far, each once. */
  flush(): Finding[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /** Whether the program pid runs now is the agent's own upkeep (started by the agent program itself). */
  isRuntime(pid: number): boolean {
    const execId = this.execOfPid.get(pid);
    /* a session that never spoke to a model has no agent program, and no upkeep of one */
    return this.live && execId !== undefined && this.attribution.get(execId)?.kind === 'agent-runtime';
  }

  private learn(e: WardenEvent): void {
    if (e.type === 'exec') this.execOfPid.set(e.pid, e.execId);
    this.sessionPids.add(e.pid);
    this.sessionPids.add(e.tid);
    if (!this.parentOf.has(e.execId)) this.parentOf.set(e.execId, e.parentExecId);
    if (e.type === 'fork') this.parentOf.set(e.childExecId, e.execId);
    if (e.type === 'exec' && !this.rootSeen) {
      this.rootSeen = true; /* the session's first program: the agent (warden-launch execs it) */
      this.agents.add(e.execId);
    }
    if (e.type === 'connect' && this.runtimePorts.has(e.dport) && isLoopback(e.daddr)) {
      this.agents.add(e.execId);
      this.live = true;
    }
  }

  /** The nearest attributed ancestor's attribution, walking up the lineage to the agent. */
  private inherited(execId: string): Attribution | undefined {
    let id = this.parentOf.get(execId) ?? null;
    for (let depth = 0; id && depth < 64 && !this.agents.has(id); depth++) {
      const known = this.attribution.get(id);
      if (known) return known;
      id = this.parentOf.get(id) ?? null;
    }
    return undefined;
  }

  private attribute(e: WardenEvent): Resolved | undefined {
    const known = this.attribution.get(e.execId);
    if (this.agents.has(e.execId)) {
      /* An agent that relaunched itself (Gemini CLI, Codex's native binary) was exec'd while the
       * session launched, and taken for upkeep. Once it speaks, its file tools are its own; what
       * else it does cannot be told apart from that upkeep, so it stays upkeep. */
      const own = this.agentOwn(e);
      return known?.kind === 'agent-runtime' && own?.kind === 'undeclared' ? known : own;
    }
    if (known) return this.resolve(known, e);
    const inherited = this.inherited(e.execId);
    if (inherited) {
      this.attribution.set(e.execId, inherited);
      return this.resolve(inherited, e);
    }
    if (!this.hasAgentAncestor(e.execId)) return undefined; /* before or beside the agent: not ours to judge */
    if (e.type !== 'exec') return undefined; /* a fork of the agent: judged at its exec */
    const mcp = MCP_PROXY.exec(e.argv.join(' '));
    const a: Attribution = mcp ? { kind: 'mcp-server', server: mcp[1] ?? 'server' } : this.byCommand(e.argv, e.timeUs);
    this.attribution.set(e.execId, a);
    return this.resolve(a, e);
  }

  /** An MCP server's action: the call to it that is open, or its own upkeep. */
  private resolve(a: Attribution, e: WardenEvent): Resolved {
    if (a.kind !== 'mcp-server') return a;
    const prefix = `mcp__${a.server}__`;
    const open = this.findRecent((c) => c.call.name.startsWith(prefix) && this.isOpen(c, e.timeUs, 0));
    return open ? { kind: 'tool-call', call: open.call.id } : { kind: 'agent-runtime' };
  }

  private hasAgentAncestor(execId: string): boolean {
    let id = this.parentOf.get(execId) ?? null;
    for (let depth = 0; id && depth < 64; depth++) {
      if (this.agents.has(id)) return true;
      id = this.parentOf.get(id) ?? null;
    }
    return false;
  }

  /** A program the agent started: which open shell call's command is it? */
  private byCommand(argv: string[], timeUs: number): Attribution {
    const line = norm(argv.join(' '));
    const open = [...this.recent.values()].filter((c) => c.shell !== null && this.isOpen(c, timeUs));
    /* the same command called again and again (a retry): the call open at the time, not the one
     * just over and still in its grace */
    const hits = open.filter((c) => c.shell && line.includes(c.shell));
    const hit =
      hits.find((c) => this.isOpen(c, timeUs, 0)) ?? hits.sort((x, y) => y.call.startedUs - x.call.startedUs)[0];
    if (hit) return { kind: 'tool-call', call: hit.call.id };
    if (this.profile.isRuntimeExec(argv)) return { kind: 'agent-runtime' };
    /* no command text to match (argv cut at 4 KiB behind a long prelude, as Codex's is): a shell the
     * agent starts while a shell call is open is that call's, the latest one if several are */
    const latest = open.sort((x, y) => y.call.startedUs - x.call.startedUs)[0];
    const launcher = /(^|\/)(ba|z|da)?sh$/.test(argv[0] ?? '') || argv[1] === '--codex-run-as-process-setup';
    if (latest && launcher) return { kind: 'tool-call', call: latest.call.id };
    return { kind: 'undeclared' };
  }

  /** The first recent call that matches: walked in place, for this runs on the agent's every file event. */
  private findRecent(match: (c: OpenCall) => boolean): OpenCall | undefined {
    for (const c of this.recent.values()) if (match(c)) return c;
    return undefined;
  }

  private isOpen(c: OpenCall, timeUs: number, grace = GRACE_US): boolean {
    return c.call.startedUs - grace <= timeUs && (c.endedUs === null || timeUs <= c.endedUs + grace);
  }

  /** When the session's program is an MCP server (`warden mcp` outside a session): the one call it is serving. */
  private openMcpCall(timeUs: number): string | undefined {
    let only: OpenCall | undefined;
    for (const c of this.recent.values()) {
      if (!c.call.sources.includes('mcp') || !this.isOpen(c, timeUs, 0)) continue;
      if (only) return undefined; /* more than one: none is the one */
      only = c;
    }
    return only?.call.id;
  }

  /** An action of the agent program itself: a file tool's, its own housekeeping, or undeclared. */
  private agentOwn(e: WardenEvent): Resolved | undefined {
    const path = 'path' in e ? e.path : undefined;
    if (path !== undefined) {
      const tool = this.findRecent(
        (c) => this.isOpen(c, e.timeUs) && c.paths.some((p) => path === p || path.startsWith(`${p}.`)),
      );
      if (tool) return { kind: 'tool-call', call: tool.call.id };
      const served = this.openMcpCall(e.timeUs);
      if (served) return { kind: 'tool-call', call: served };
      if (this.profile.isRuntimePath(path)) return { kind: 'agent-runtime' };
      if (e.type === 'open' && !opensForWrite(e.flags) && !opensNameOnly(e.flags) && isCredentialPath(path))
        return { kind: 'undeclared' };
      if (!isChange(e)) return undefined; /* reads of libraries, configs, the workspace: not judged */
      return { kind: 'undeclared' };
    }
    if (e.type === 'connect' || e.type === 'send') {
      if (e.dport === 53 || e.family === 'unix' || e.family === 'other') return { kind: 'agent-runtime' };
      if (isLoopback(e.daddr) && this.runtimePorts.has(e.dport)) {
        return { kind: 'agent-runtime' };
      }
      return { kind: 'undeclared' };
    }
    if (e.type === 'dns') return { kind: 'agent-runtime' };
    if (e.type === 'kill' || e.type === 'ptrace' || e.type === 'setuid' || e.type === 'capset') {
      if (e.type === 'kill' && (e.signal === 0 || this.ownTarget(e))) {
        return { kind: 'agent-runtime' };
      }
      return { kind: 'undeclared' };
    }
    return undefined;
  }

  /**
   * A process of the session, or a thread of the sender (runtimes signal their own threads, e.g. for GC).
   * From a sealed session's PID namespace every pid it can name is the session's own.
   */
  private ownTarget(e: Extract<WardenEvent, { type: 'kill' }>): boolean {
    /* decided once, while the processes are there to look at, and kept on the event for replays */
    if (e.targetInSession === undefined) {
      const target = Math.abs(e.target);
      e.targetInSession =
        this.sessionPids.has(target) || existsSync(`/proc/${e.pid}/task/${target}`) || nsPids(e.pid).length > 1;
    }
    return e.targetInSession;
  }

  private reportUndeclared(e: WardenEvent): void {
    const why = undeclaredHarm(e, (k) => this.ownTarget(k));
    if (!why) return;
    const key = `u:${e.execId}:${e.type}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.pending.push({
      detector: 'undeclared-action',
      severity: 'high',
      message: `${describe(e)} by ${e.comm} (pid ${e.pid}) with no tool call behind it: ${why}`,
      toolCallId: null,
      events: [e],
      data: { type: e.type, execId: e.execId },
    });
  }

  /** Network reach and network tools the call's own words never named. */
  private checkIntent(e: WardenEvent, callId: string): void {
    const c = this.calls.get(callId);
    if (!c || c.shell === null) return;
    let what: string | undefined;
    if ((e.type === 'connect' || e.type === 'send') && (e.family === 'ipv4' || e.family === 'ipv6')) {
      /* DNS, or it failed by itself; refused by policy it is still an attempt */
      if (e.dport === 53 || (e.result < 0 && e.result !== -115 && !e.decision)) return;
      const names = this.o.namesOf?.(e.daddr) ?? [];
      const addr = e.daddr.replace(/^::ffff:/, '');
      if ([addr, ...names].some((n) => c.declared.includes(n.toLowerCase()))) return;
      what = `${e.type} to ${addr}:${e.dport}${names.length ? ` (${names.join(', ')})` : ''}`;
    } else if (e.type === 'exec') {
      const prog = (e.argv[0] ?? e.exe).split('/').pop() ?? '';
      if (!NET_TOOLS.test(prog) || c.declared.includes(prog)) return;
      what = `runs ${prog}`;
    } else return;
    const key = `i:${callId}:${what}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.pending.push({
      detector: 'intent-mismatch',
      severity: 'high',
      message: `${c.call.name} call ${callId} ${what}, which its command never mentions`,
      toolCallId: callId,
      events: [e],
      data: { tool: c.call.name, input: c.call.input, action: what },
    });
  }
}
