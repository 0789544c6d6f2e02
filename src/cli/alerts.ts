/** `warden alerts`: what detectors and the application layer raised, with their evidence. */
import type { Alert } from '../model/records.js';
import { bold, dim, fmtTime, red, table } from './render.js';

const RANK = { info: 0, low: 1, medium: 2, high: 3, critical: 4 } as const;

export function alertsTable(alerts: Alert[]): string {
  if (!alerts.length) return 'no alerts';
  const rows = [['TIME', 'SEVERITY', 'DETECTOR', 'TOOL CALL', 'EVIDENCE', 'WHAT']];
  for (const a of alerts) {
    const sev = RANK[a.severity] >= RANK.high ? red(a.severity) : a.severity;
    rows.push([
      fmtTime(a.timeUs).slice(11),
      sev,
      bold(a.detector),
      a.toolCallId ?? dim('-'),
      a.eventIds.length ? a.eventIds.map((id) => `#${id}`).join(' ') : dim('-'),
      a.message,
    ]);
  }
  return table(rows);
}

export function atLeast(alerts: Alert[], min: Alert['severity']): Alert[] {
  return alerts.filter((a) => RANK[a.severity] >= RANK[min]);
}
