/** A session's detection engine (every built-in detector, with what they may ask of the session), and its alerts. */
import type { Config } from '../config.js';
import { BUILTIN_DETECTORS } from '../detect/builtin.js';
import { DetectionEngine, type Detection } from '../detect/engine.js';
import type { AppLayerService } from '../applayer/service.js';
import type { WardenEvent } from '../model/events.js';
import type { Store } from '../store/store.js';
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

/** What an alert is raised on: a correlator finding or a detection. */
export type Evidence = Pick<Detection, 'detector' | 'severity' | 'message' | 'toolCallId' | 'events' | 'data'>;

/**
 * Stores an alert for a finding or detection, its evidence written first so the alert can name
 * the events by id. Returns the last piece of evidence.
 */
export function raiseAlert(
  store: Store,
  app: AppLayerService,
  f: Evidence,
  more: (last: WardenEvent | undefined) => Record<string, unknown> = () => ({}),
): WardenEvent | undefined {
  store.flush();
  const last = f.events[f.events.length - 1];
  app.alert({
    detector: f.detector,
    severity: f.severity,
    message: f.message,
    toolCallId: f.toolCallId,
    eventIds: f.events.flatMap((e) => (e.id === undefined ? [] : [e.id])),
    data: Object.assign(more(last), f.data),
  });
  return last;
}
