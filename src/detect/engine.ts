/**
 * Runs every detector over a session's events and turns their signals into
 * detections: one per detector and key, with the tool call and model turn
 * behind the evidence, and the action the policy asks for.
 */
import type { WardenEvent } from '../model/events.js';
import type { Severity } from '../model/records.js';
import type { Detector, DetectorContext, DetectorFactory } from './detector.js';

export type DetectionAction = 'alert' | 'kill' | 'quarantine';

export interface Detection {
  detector: string;
  severity: Severity;
  tags: string[];
  message: string;
  events: WardenEvent[];
  toolCallId: string | null;
  action: DetectionAction;
  data: Record<string, unknown>;
}

export class DetectionEngine {
  private readonly detectors: Detector[];
  private readonly seen = new Set<string>();
  private pending: Detection[] = [];

  constructor(
    factories: DetectorFactory[],
    private readonly ctx: DetectorContext,
    /** the action the policy asks for on a detector's detections */
    private readonly actionFor: (detector: string) => DetectionAction = () => 'alert',
  ) {
    this.detectors = factories.map((f) => f());
  }

  get ids(): string[] {
    return this.detectors.map((d) => d.id);
  }

  handle(e: WardenEvent): void {
    for (const d of this.detectors) {
      let signals;
      try {
        signals = d.event(e, this.ctx);
      } catch (err) {
        /* one broken detector must not blind the others */
        signals = [
          {
            severity: 'low' as const,
            message: `detector failed: ${(err as Error).message}`,
            events: [e],
            key: 'failed',
          },
        ];
      }
      for (const s of signals ?? []) {
        const key = `${d.id}:${s.key ?? s.message}`;
        if (this.seen.has(key)) continue;
        this.seen.add(key);
        const behind = [...s.events].reverse().find((x) => x.toolCallId)?.toolCallId ?? null;
        this.pending.push({
          detector: d.id,
          severity: s.severity ?? d.severity,
          tags: d.tags,
          message: s.message,
          events: s.events,
          toolCallId: behind,
          action: this.actionFor(d.id),
          data: s.data ?? {},
        });
      }
    }
  }

  /** The detections of the events handled so far, each once. */
  flush(): Detection[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}
