/**
 * A session as the agent lived it: model turns, the tool calls each asked for
 * (with the decision on them), the kernel actions under each call, what no
 * call explains, and the alerts. Shared by the API and `warden timeline`.
 */
import type { Alert, ToolCall, Turn } from '../model/records.js';
import type { WardenEvent } from '../model/events.js';
import type { Session } from '../model/session.js';
import type { Store } from '../store/store.js';

export interface Timeline {
  session: Session;
  turns: Array<Turn & { toolCalls: Array<ToolCall & { events: WardenEvent[] }> }>;
  /** tool calls no recorded turn asked for (hooks or MCP only) */
  otherToolCalls: Array<ToolCall & { events: WardenEvent[] }>;
  undeclared: WardenEvent[];
  alerts: Alert[];
}

export function buildTimeline(store: Store, session: Session): Timeline {
  const events = store.eventsOf(session.id);
  const byCall = new Map<string, WardenEvent[]>();
  for (const e of events) {
    if (!e.toolCallId) continue;
    const list = byCall.get(e.toolCallId) ?? [];
    list.push(e);
    byCall.set(e.toolCallId, list);
  }
  const calls = store.app.toolCallsOf(session.id).map((c) => Object.assign(c, { events: byCall.get(c.id) ?? [] }));
  const turns = store.app.turnsOf(session.id);
  const placed = new Set<string>();
  /* a call belongs to the turn that asked for it; a hook-only call to the turn before it began */
  const owner = (c: ToolCall): number | null => {
    if (c.turn !== null) return c.turn;
    const before = turns.filter((t) => t.startedUs <= c.startedUs);
    return before.length ? (before[before.length - 1]?.seq ?? null) : null;
  };
  const withCalls = turns.map((t) => {
    const mine = calls.filter((c) => owner(c) === t.seq);
    for (const c of mine) placed.add(c.id);
    return Object.assign(t, { toolCalls: mine });
  });
  return {
    session,
    turns: withCalls,
    otherToolCalls: calls.filter((c) => !placed.has(c.id)),
    undeclared: events.filter((e) => e.attribution === 'undeclared'),
    alerts: store.app.alertsOf(session.id),
  };
}
