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

export function provenanceGraph(store: Store, sessionId: string): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, GraphEdge>();
  const node = (n: GraphNode): string => {
    if (!nodes.has(n.id)) nodes.set(n.id, n);
    return n.id;
  };
  const edge = (from: string, to: string, label: string): void => {
    edges.set(`${from}>${to}`, { from, to, label });
  };
  const session = (id: string): string =>
    node({
      id: `s:${id}`,
      kind: 'session',
      label: `session ${id}\n${store.session(id)?.name.slice(0, 40) ?? ''}`,
      session: id,
    });

  const walk = (p: Provenance, into: string, depth: number): void => {
    const ev = node({
      id: `e:${p.event.id}`,
      kind: 'event',
      label: `#${p.event.id} ${p.event.type}`,
      session: p.sessionId,
    });
    edge(ev, into, 'evidence');
    let below = ev;
    for (const l of p.lineage.slice(0, 4)) {
      const pr = node({ id: `p:${l.execId}`, kind: 'process', label: `${l.comm} [${l.pid}]`, session: p.sessionId });
      edge(pr, below, below === ev ? 'did' : 'started');
      below = pr;
    }
    if (p.toolCall) {
      const tc = node({
        id: `t:${p.sessionId}:${p.toolCall.id}`,
        kind: 'tool-call',
        label: `tool ${p.toolCall.name}`,
        session: p.sessionId,
      });
      edge(tc, below, 'ran');
      below = tc;
    }
    if (p.turn) {
      const tu = node({
        id: `u:${p.sessionId}:${p.turn.seq}`,
        kind: 'turn',
        label: `model turn ${p.turn.seq}`,
        session: p.sessionId,
      });
      edge(tu, below, 'asked for');
      below = tu;
    }
    edge(session(p.sessionId), below, 'in');
    for (const o of p.origins) {
      if (o.kind === 'mcp-result') {
        const m = node({
          id: `m:${p.sessionId}:${o.toolCall?.id}`,
          kind: 'mcp',
          label: `MCP result ${o.toolCall?.name ?? ''}`,
          session: p.sessionId,
        });
        edge(m, below, 'read by the model');
        continue;
      }
      if (o.kind === 'socket-from-session') {
        const so = node({ id: `k:${o.port}`, kind: 'socket', label: `127.0.0.1:${o.port}` });
        edge(so, session(p.sessionId), 'data into');
        if (o.fromSession) edge(session(o.fromSession), so, 'served');
        continue;
      }
      const f = node({ id: `f:${o.file}`, kind: 'file', label: o.file ?? '?' });
      edge(f, session(p.sessionId), o.kind === 'download' ? 'downloaded, read' : 'read');
      if (o.fromSession) {
        if (o.upstream && depth > 0) {
          const w = node({
            id: `e:${o.upstream.event.id}`,
            kind: 'event',
            label: `#${o.upstream.event.id} write`,
            session: o.fromSession,
          });
          edge(w, f, 'wrote');
          walk(o.upstream, w, depth - 1);
        } else edge(session(o.fromSession), f, 'wrote');
      }
    }
  };

  for (const a of store.app.alertsOf(sessionId)) {
    const al = node({ id: `a:${a.id}`, kind: 'alert', label: `${a.detector}\n${a.severity}`, session: sessionId });
    const last = a.eventIds[a.eventIds.length - 1];
    if (last === undefined || !store.event(last)) {
      edge(session(sessionId), al, 'raised');
      continue;
    }
    walk(traceEvent(store, last, 2), al, 2);
  }
  if (!nodes.size) session(sessionId);
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}
