/** The shapes the API returns (see src/store, src/applayer/records.ts, src/api). */
export interface Session {
  id: string;
  name: string;
  status: 'running' | 'ended' | 'failed' | 'quarantined';
  startedUs: number;
  endedUs: number | null;
  events: number;
  lost: number;
  alerts: number;
  agent: string | null;
  policy: string | null;
  mechanisms: { active: string[]; unavailable: string[] } | null;
  exitCode: number | null;
}
export interface Decision {
  verdict: 'allowed' | 'denied' | 'would-deny';
  rule: string;
  mechanism?: string;
  by?: string;
  reason: string;
}
export interface WEvent {
  id: number;
  type: string;
  timeUs: number;
  pid: number;
  comm: string;
  argv?: string[];
  path?: string;
  daddr?: string;
  dport?: number;
  name?: string;
  decision?: Decision;
  error?: string;
  toolCallId?: string;
  attribution?: string;
}
export interface ToolCall {
  id: string;
  name: string;
  input: unknown;
  decision: Decision | null;
  result: { text: string; isError: boolean } | null;
  events: WEvent[];
}
export interface Turn {
  seq: number;
  provider: string;
  startedUs: number;
  action: string;
  request: { model: string | null; lastUserText: string };
  response: { text: string } | null;
  toolCalls: ToolCall[];
}
export interface Alert {
  id: number;
  detector: string;
  severity: string;
  message: string;
  timeUs: number;
  toolCallId: string | null;
  eventIds: number[];
  data: Record<string, unknown>;
}
export interface Timeline {
  turns: Turn[];
  otherToolCalls: ToolCall[];
  undeclared: WEvent[];
  alerts: Alert[];
}
export interface Proc {
  execId: string;
  parentExecId: string | null;
  pid: number;
  comm: string;
  argv: string[];
  origin: string;
  events: WEvent[];
}
export interface Graph {
  nodes: Array<{ id: string; kind: string; label: string; session?: string }>;
  edges: Array<{ from: string; to: string; label: string }>;
}
