/** A session's detection engine: every built-in detector, with what they may ask of the session. */
import type { Config } from '../config.js';
import { BUILTIN_DETECTORS } from '../detect/builtin.js';
import { DetectionEngine } from '../detect/engine.js';
import { readCommitted, readFileStart } from '../safe-read.js';
import { selfProtectedPaths } from './self-protection.js';

export function sessionDetection(
  cfg: Config,
  workspace: string | null,
  session: {
    wardenPids: () => number[];
    /** what the policy asks for on a detector's detections */
    actionOf: (detector: string) => 'alert' | 'kill' | 'quarantine';
  },
): DetectionEngine {
  return new DetectionEngine(
    BUILTIN_DETECTORS,
    {
      wardenPids: session.wardenPids,
      wardenPaths: selfProtectedPaths(cfg).filter((p) => p !== '/proc' && p !== '/sys'),
      workspace,
      readFile: readFileStart,
      readCommitted: (p) => (workspace ? readCommitted(workspace, p) : undefined),
    },
    session.actionOf,
  );
}
