/**
 * Application-layer records in the store: model turns, tool calls (merged
 * from every layer that saw them), alerts, and pinned MCP tool definitions.
 */
import type Database from 'better-sqlite3';
import {
  AlertSchema,
  McpToolSchema,
  ToolCallSchema,
  TurnSchema,
  type Alert,
  type McpTool,
  type ToolCall,
  type Turn,
} from '../model/records.js';

type DataRow = { data: string };

export class AppRecords {
  /** Called with each alert after it is stored (id set). */
  onAlert: ((a: Alert) => void) | undefined;

  constructor(
    private readonly db: Database.Database,
    /** writes queued events first, so an alert never points at an event not yet stored */
    private readonly flushEvents: () => void,
  ) {}

  putTurn(t: Turn): void {
    this.putTurns([t]);
  }

  /** Several turns in one transaction. */
  putTurns(turns: Turn[]): void {
    const ins = this.db.prepare('INSERT OR REPLACE INTO turns (session_id, seq, started_us, data) VALUES (?, ?, ?, ?)');
    this.db
      .transaction(() => {
        for (const t of turns) ins.run(t.sessionId, t.seq, t.startedUs, JSON.stringify(t));
      })
      .immediate();
  }

  nextTurnSeq(sessionId: string): number {
    const r = this.db.prepare('SELECT MAX(seq) AS m FROM turns WHERE session_id = ?').get(sessionId) as {
      m: number | null;
    };
    return (r.m ?? 0) + 1;
  }

  turnsOf(sessionId: string): Turn[] {
    const rows = this.db.prepare('SELECT data FROM turns WHERE session_id = ? ORDER BY seq').all(sessionId);
    return (rows as DataRow[]).map((r) => TurnSchema.parse(JSON.parse(r.data)));
  }

  toolCall(sessionId: string, id: string): ToolCall | undefined {
    const r = this.db.prepare('SELECT data FROM tool_calls WHERE session_id = ? AND id = ?').get(sessionId, id);
    return r ? ToolCallSchema.parse(JSON.parse((r as DataRow).data)) : undefined;
  }

  /**
   * Records what one layer saw of a call, merged with what others saw: the
   * first start time, the latest end, any result, a decision once made.
   */
  mergeToolCall(c: ToolCall): ToolCall {
    const old = this.toolCall(c.sessionId, c.id);
    const merged: ToolCall = old
      ? {
          sessionId: c.sessionId,
          id: c.id,
          name: old.name || c.name,
          input: old.input ?? c.input,
          turn: old.turn ?? c.turn,
          sources: [...new Set([...old.sources, ...c.sources])].sort(),
          startedUs: Math.min(old.startedUs, c.startedUs),
          endedUs: c.endedUs ?? old.endedUs,
          result: c.result ?? old.result,
          decision: c.decision ?? old.decision,
        }
      : c;
    this.db
      .prepare('INSERT OR REPLACE INTO tool_calls (session_id, id, started_us, data) VALUES (?, ?, ?, ?)')
      .run(merged.sessionId, merged.id, merged.startedUs, JSON.stringify(merged));
    return merged;
  }

  toolCallsOf(sessionId: string): ToolCall[] {
    const rows = this.db
      .prepare('SELECT data FROM tool_calls WHERE session_id = ? ORDER BY started_us, rowid')
      .all(sessionId);
    return (rows as DataRow[]).map((r) => ToolCallSchema.parse(JSON.parse(r.data)));
  }

  addAlert(a: Alert): Alert {
    this.flushEvents();
    const info = this.db
      .prepare(
        'INSERT INTO alerts (session_id, time_us, detector, severity, tool_call, data) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(a.sessionId, a.timeUs, a.detector, a.severity, a.toolCallId, JSON.stringify(a));
    const stored = Object.assign({}, a, { id: Number(info.lastInsertRowid) });
    this.onAlert?.(stored);
    return stored;
  }

  alertsOf(sessionId: string): Alert[] {
    const rows = this.db.prepare('SELECT id, data FROM alerts WHERE session_id = ? ORDER BY id').all(sessionId);
    return (rows as Array<DataRow & { id: number }>).map((r) =>
      AlertSchema.parse(Object.assign(JSON.parse(r.data), { id: r.id })),
    );
  }

  mcpTools(server?: string): McpTool[] {
    const rows = server
      ? this.db.prepare('SELECT data FROM mcp_tools WHERE server = ? ORDER BY tool').all(server)
      : this.db.prepare('SELECT data FROM mcp_tools ORDER BY server, tool').all();
    return (rows as DataRow[]).map((r) => McpToolSchema.parse(JSON.parse(r.data)));
  }

  putMcpTool(t: McpTool): void {
    this.db
      .prepare('INSERT OR REPLACE INTO mcp_tools (server, tool, data) VALUES (?, ?, ?)')
      .run(t.server, t.tool, JSON.stringify(t));
  }
}
