/**
 * Exporters take what the store receives (events, alerts, ended sessions)
 * into the tools security teams already run. Each is one file behind this
 * interface; the daemon's tail feeds them all.
 */
import type { Alert } from '../model/records.js';
import type { WardenEvent } from '../model/events.js';
import type { Store } from '../store/store.js';
import type { Session } from '../model/session.js';

export interface Exporter {
  readonly name: string;
  events?(events: WardenEvent[]): void | Promise<void>;
  alerts?(alerts: Alert[]): void | Promise<void>;
  /** a session ended: its turns and tool calls are in the store */
  sessionEnded?(session: Session, store: Store): void | Promise<void>;
  close(): Promise<void>;
}
