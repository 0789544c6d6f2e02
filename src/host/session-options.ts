/** What a session on a host is given (its options, the host's parts) and gives back (its result). */
import type { CompiledPolicy } from '../policy/compile.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { Sensor } from '../sensor/sensor.js';
import type { Store } from '../store/store.js';
import type { Session } from '../model/session.js';

/** What a session takes from the host it runs on. */
export interface SessionHost {
  readonly store: Store;
  readonly sensor: Sensor;
  readonly pipeline: Pipeline;
  /** Warden's own processes, which no agent may signal or trace */
  wardenPids(): number[];
  /** the session is over: the host lets go of it */
  forget(sessionId: string): void;
}

export interface SessionOptions {
  command: string[];
  name?: string;
  /** the agent role, for baselines (default: the command's program name) */
  agent?: string;
  /** where the command runs */
  cwd: string;
  /** also write each event as a JSON line to this file */
  jsonEvents?: string;
  /** leave processes that outlive the session running (default: kill them) */
  keepLingering?: boolean;
  /**
   * Apply a launch floor: the policy's limits (null: none, monitor only) plus
   * Warden's self-protection. Absent: the command runs with no floor at all.
   */
  enforcement?: { policy: CompiledPolicy | null; workspace?: string };
  verbose?: boolean;
  /** a hosted session's `warden run`, protected like Warden's own processes */
  clientPid?: number;
  /** the agent's environment as its `warden run` has it (what its CLI's own configuration is read by) */
  env?: Record<string, string>;
}

export interface RunResult {
  session: Session;
  /** what the shell would see: the code, or 128 + the signal; 125: left quarantined */
  status: number;
}
