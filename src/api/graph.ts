/**
 * The provenance graph a person can follow: for a session's alerts, the path
 * from each alert's evidence back through processes, the tool call and the
 * model turn, to the untrusted inputs and the sessions (agents) they came from.
 */
import { traceEvent, type Provenance } from '../detect/provenance.js';
import type { Store } from '../store/store.js';

export interface GraphNode {
  id: string;
  kind: 'session' | 'alert' | 'event' | 'process' | 'tool-call' | 'turn' | 'file' | 'socket' | 'mcp';
  label: string;
  session?: string;
}
export interface GraphEdge {
  from: string;
  to: string;
  label: string;
}

/** The graph, built a path at a time; a node or edge met twice is kept once. */
class Graph {
  readonly nodes = new Map<string, GraphNode>();
  readonly edges = new Map<string, GraphEdge>();

  constructor(private readonly store: Store) {}

  node(n: GraphNode): string {
    if (!this.nodes.has(n.id)) this.nodes.set(n.id, n);
    return n.id;
  }

  edge(from: string, to: string, label: string): void {
    this.edges.set(`${from}>${to}`, { from, to, label });
  }

  session(id: string): string {
    return this.node({
      id: `s:${id}`,
      kind: 'session',
      label: `session ${id}\n${this.store.session(id)?.name.slice(0, 40) ?? ''}`,
      session: id,
    });
  }

  /** From a piece of evidence up to its session: the processes, the tool call, the model turn. */
  private chain(p: Provenance, into: string): string {
    const ev = this.node({
      id: `e:${p.event.id}`,
      kind: 'event',
      label: `#${p.event.id} ${p.event.type}`,
      session: p.sessionId,
    });
    this.edge(ev, into, 'evidence');
    let below = ev;
    for (const l of p.lineage.slice(0, 4)) {
      const pr = this.node({
        id: `p:${l.execId}`,
        kind: 'process',
        label: `${l.comm} [${l.pid}]`,
        session: p.sessionId,
      });
      this.edge(pr, below, below === ev ? 'did' : 'started');
      below = pr;
    }
    if (p.toolCall) {
      const id = `t:${p.sessionId}:${p.toolCall.id}`;
      const tc = this.node({ id, kind: 'tool-call', label: `tool ${p.toolCall.name}`, session: p.sessionId });
      this.edge(tc, below, 'ran');
      below = tc;
    }
    if (p.turn) {
      const id = `u:${p.sessionId}:${p.turn.seq}`;
      const tu = this.node({ id, kind: 'turn', label: `model turn ${p.turn.seq}`, session: p.sessionId });
      this.edge(tu, below, 'asked for');
      below = tu;
    }
    this.edge(this.session(p.sessionId), below, 'in');
    return below;
  }

  /** The path of one piece of evidence, and of the untrusted inputs behind it (followed `depth` sessions back). */
  walk(p: Provenance, into: string, depth: number): void {
    const below = this.chain(p, into);
    for (const o of p.origins) {
      if (o.kind === 'mcp-result') {
        const id = `m:${p.sessionId}:${o.toolCall?.id}`;
        const m = this.node({ id, kind: 'mcp', label: `MCP result ${o.toolCall?.name ?? ''}`, session: p.sessionId });
        this.edge(m, below, 'read by the model');
        continue;
      }
      if (o.kind === 'socket-from-session') {
        const so = this.node({ id: `k:${o.port}`, kind: 'socket', label: `127.0.0.1:${o.port}` });
        this.edge(so, this.session(p.sessionId), 'data into');
        if (o.fromSession) this.edge(this.session(o.fromSession), so, 'served');
        continue;
      }
      const f = this.node({ id: `f:${o.file}`, kind: 'file', label: o.file ?? '?' });
      this.edge(f, this.session(p.sessionId), o.kind === 'download' ? 'downloaded, read' : 'read');
      if (!o.fromSession) continue;
      if (o.upstream && depth > 0) {
        const id = `e:${o.upstream.event.id}`;
        const w = this.node({ id, kind: 'event', label: `#${o.upstream.event.id} write`, session: o.fromSession });
        this.edge(w, f, 'wrote');
        this.walk(o.upstream, w, depth - 1);
      } else this.edge(this.session(o.fromSession), f, 'wrote');
    }
  }
}

export function provenanceGraph(store: Store, sessionId: string): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const g = new Graph(store);
  for (const a of store.app.alertsOf(sessionId)) {
    const al = g.node({ id: `a:${a.id}`, kind: 'alert', label: `${a.detector}\n${a.severity}`, session: sessionId });
    const last = a.eventIds[a.eventIds.length - 1];
    if (last === undefined || !store.event(last)) {
      g.edge(g.session(sessionId), al, 'raised');
      continue;
    }
    g.walk(traceEvent(store, last, 2), al, 2);
  }
  if (!g.nodes.size) g.session(sessionId);
  return { nodes: [...g.nodes.values()], edges: [...g.edges.values()] };
}
