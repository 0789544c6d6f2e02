/**
 * Why did this happen? The path from an event back to its origin: the process
 * and its lineage, the tool call behind it, the model turn that asked for the
 * call, and the untrusted inputs the session had taken in before it: files
 * another session wrote (followed into that session, in turn), downloads, and
 * MCP tool results. Computed from the store, across sessions, on demand.
 */
import type { ToolCall, Turn } from '../model/records.js';
import { AgentRuntimeProfile } from '../pipeline/agent-runtime.js';
import type { ProcessRecord, WardenEvent } from '../model/events.js';
import type { Store } from '../store/store.js';
import { isCompletedEgress, readPath } from './facts.js';

export interface Origin {
  kind: 'file-from-session' | 'socket-from-session' | 'download' | 'mcp-result';
  /** the file that carried it (file-from-session, download) */
  file?: string;
  /** the read that took it in */
  read?: WardenEvent;
  /** the write that put it there */
  write?: WardenEvent;
  /** the session that wrote it */
  fromSession?: string;
  /** the loopback port another session's data came through (socket-from-session) */
  port?: number;
  /** the session's own end of that connection */
  local?: WardenEvent;
  /** the other session's end: its listen, or its connect */
  peer?: WardenEvent;
  /** the MCP call whose result it was */
  toolCall?: ToolCall;
  /** why the writer wrote it, one level further back */
  upstream?: Provenance;
}

export interface Provenance {
  event: WardenEvent;
  sessionId: string;
  sessionName: string;
  /** the acting process, then its parents up to the session's first program */
  lineage: Array<Pick<ProcessRecord, 'execId' | 'pid' | 'comm' | 'argv'>>;
  toolCall: ToolCall | null;
  turn: (Pick<Turn, 'seq' | 'startedUs'> & { text: string }) | null;
  origins: Origin[];
}

const profile = new AgentRuntimeProfile();

function lineageOf(store: Store, e: WardenEvent): Provenance['lineage'] {
  const procs = new Map(store.processesOf(e.sessionId).map((p) => [p.execId, p]));
  const out: Provenance['lineage'] = [];
  let id: string | null = e.execId;
  for (let i = 0; id && i < 32; i++) {
    const p = procs.get(id);
    if (!p) break;
    if (p.origin !== 'fork') out.push({ execId: p.execId, pid: p.pid, comm: p.comm, argv: p.argv });
    id = p.parentExecId;
  }
  return out;
}

/** Untrusted inputs the session took in before `beforeUs`. */
function originsBefore(store: Store, sessionId: string, beforeUs: number, depth: number): Origin[] {
  const events = store.eventsOf(sessionId);
  const talked = new Set<string>();
  const origins: Origin[] = [];
  const seen = new Set<string>();
  for (const e of events) {
    if (e.timeUs >= beforeUs) break;
    if (isCompletedEgress(e)) talked.add(e.execId);
    const path = readPath(e);
    if (!path || seen.has(path) || profile.isRuntimePath(path) || e.attribution === 'agent-runtime') continue;
    seen.add(path);
    /* the newest write decides what the file held when it was read */
    const w = store.writesOf(path, e.timeUs).find((x) => x.attribution !== 'agent-runtime');
    if (!w) continue;
    if (w.sessionId !== sessionId) {
      origins.push({
        kind: 'file-from-session',
        file: path,
        read: e,
        write: w,
        fromSession: w.sessionId,
        ...(depth > 0 ? { upstream: traceEvent(store, w.id ?? 0, depth - 1) } : {}),
      });
    } else if (talked.has(w.execId)) origins.push({ kind: 'download', file: path, read: e, write: w });
  }
  origins.push(...socketOrigins(store, sessionId, events, beforeUs));
  for (const c of store.app.toolCallsOf(sessionId)) {
    if (c.sources.includes('mcp') && c.result && (c.endedUs ?? Infinity) < beforeUs)
      origins.push({ kind: 'mcp-result', toolCall: c });
  }
  return origins;
}

/**
 * Data from another session over loopback: the session connected to a port
 * another session listened on, or accepted a connection another session made.
 */
function socketOrigins(store: Store, sessionId: string, events: WardenEvent[], beforeUs: number): Origin[] {
  const out: Origin[] = [];
  const seen = new Set<number>();
  for (const e of events) {
    if (e.timeUs >= beforeUs) break;
    let port: number | undefined;
    let want: 'listen' | 'connect' | undefined;
    if (e.type === 'connect' && e.result >= 0 && /^(127\.|::1$|::ffff:127\.)/.test(e.daddr))
      [port, want] = [e.dport, 'listen'];
    if (e.type === 'accept' && e.result >= 0) [port, want] = [e.lport, 'connect'];
    if (port === undefined || seen.has(port)) continue;
    const peer = store.peersOn(port, sessionId, e.timeUs + 1).find((p) => p.type === want);
    if (!peer) continue;
    seen.add(port);
    out.push({ kind: 'socket-from-session', port, local: e, peer, fromSession: peer.sessionId });
  }
  return out;
}

export function traceEvent(store: Store, eventId: number, depth = 2): Provenance {
  const event = store.event(eventId);
  if (!event) throw new Error(`no event ${eventId}`);
  const session = store.session(event.sessionId);
  const toolCall = event.toolCallId ? (store.app.toolCall(event.sessionId, event.toolCallId) ?? null) : null;
  const turnRec = toolCall?.turn ? store.app.turnsOf(event.sessionId).find((t) => t.seq === toolCall.turn) : undefined;
  return {
    event,
    sessionId: event.sessionId,
    sessionName: session?.name ?? '?',
    lineage: lineageOf(store, event),
    toolCall,
    turn: turnRec ? { seq: turnRec.seq, startedUs: turnRec.startedUs, text: turnRec.response?.text ?? '' } : null,
    origins: originsBefore(store, event.sessionId, event.timeUs, depth),
  };
}

/** The origins that matter for an alert, in a form small enough to keep on it. */
export function originSummary(p: Provenance): Array<Record<string, unknown>> {
  return p.origins.map((o) => ({
    kind: o.kind,
    ...(o.file ? { file: o.file } : {}),
    ...(o.fromSession ? { session: o.fromSession } : {}),
    ...(o.write?.id ? { writeEventId: o.write.id } : {}),
    ...(o.read?.id ? { readEventId: o.read.id } : {}),
    ...(o.upstream?.toolCall ? { writerToolCall: o.upstream.toolCall.id } : {}),
    ...(o.toolCall ? { toolCall: o.toolCall.id } : {}),
    ...(o.port ? { port: o.port } : {}),
  }));
}
