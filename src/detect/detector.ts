/**
 * The detector interface. A detector watches one session's event stream in
 * order (kernel events, already linked to tool calls) and keeps whatever state
 * it needs; when a pattern completes it returns a signal with its evidence.
 * Each built-in detector lives in its own folder under detectors/.
 */
import type { WardenEvent } from '../model/events.js';
import type { Severity } from '../model/records.js';

/** The sabotage pathways detectors name in their tags. */
export type Pathway =
  | 'exfiltration'
  | 'unauthorized-email'
  | 'backdoor'
  | 'persistence'
  | 'monitor-tampering'
  | 'privilege-escalation'
  | 'test-tampering'
  | 'destructive'
  | 'untrusted-execution'
  | 'instruction-poisoning'
  | 'sandbagging';

export interface Signal {
  /** overrides the detector's own severity */
  severity?: Severity;
  message: string;
  /** the events that are its evidence, oldest first */
  events: WardenEvent[];
  /** one alert per key per session (default: the message) */
  key?: string;
  data?: Record<string, unknown>;
}

/** What a detector may ask of the session beyond the events. */
export interface DetectorContext {
  /** Warden's own pids (the daemon or warden run, the sensor) */
  wardenPids(): number[];
  /** Warden's install root and state directory */
  wardenPaths: string[];
  /** the session's workspace, when it has one */
  workspace: string | null;
  /** the start of a file as it is now (bounded), or undefined if unreadable */
  readFile(path: string, maxBytes?: number): string | undefined;
  /** a workspace file as the workspace's last commit holds it, or undefined (new, or no git) */
  readCommitted(path: string): string | undefined;
}

export interface Detector {
  readonly id: string;
  readonly severity: Severity;
  readonly tags: Pathway[];
  readonly description: string;
  /** one event of the session; returns what completed, if anything */
  event(e: WardenEvent, ctx: DetectorContext): Signal[] | undefined;
}

/** Detectors keep per-session state: the engine makes a fresh one for every session. */
export type DetectorFactory = () => Detector;
