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
/** An alert as the host-wide list has it: with its session and agent. */
export interface HostAlert extends Alert {
  sessionId: string | null;
  sessionName: string | null;
  agent: string | null;
}
export interface AlertList {
  alerts: HostAlert[];
  total: number;
  facets: { severity: Record<string, number>; detector: Record<string, number>; agent: Record<string, number> };
}
export type FoundEvent = WEvent & { sessionId: string; sessionName: string; agent: string | null };
export interface AgentSummary {
  agent: string;
  sessions: number;
  running: number;
  lastStartedUs: number;
  alerts: Record<string, number>;
}
export interface Baseline {
  sessions: number;
  builtUs: number;
  binaries: Record<string, number>;
  destinations: Record<string, number>;
  tools: Record<string, number>;
}
export interface AgentDetail {
  agent: string;
  sessions: Session[];
  alerts: Record<string, number>;
  detectors: Record<string, number>;
  programs: Array<{ exe: string; runs: number; sessions: number }>;
  destinations: Array<{ destination: string; connects: number; sessions: number; denied: number }>;
  baseline: Baseline | null;
}
export interface ActivityBucket {
  startUs: number;
  exec: number;
  file: number;
  network: number;
  other: number;
  denied: number;
  alerts: number;
}
export interface Activity {
  startUs: number;
  endUs: number;
  bucketUs: number;
  sessions: number;
  buckets: ActivityBucket[];
}
