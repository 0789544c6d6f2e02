/**
 * Follows the store: new events and alerts by id, sessions as they end, and
 * hands them to the exporters in order. It starts at the end of what is
 * stored (an exporter gets what happens while the daemon runs).
 */
import type { Alert } from '../model/records.js';
import { AlertSchema } from '../model/records.js';
import { EventSchema, type WardenEvent } from '../model/events.js';
import type { Store } from '../store/store.js';
import type { Exporter } from './exporter.js';

const POLL_MS = 250;
const BATCH = 5000;

export class StoreTail {
  private lastEvent: number;
  private lastAlert: number;
  private readonly ended = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  /** failures per exporter, so one broken sink is reported, not fatal */
  readonly failures = new Map<string, { count: number; last: string }>();

  constructor(
    private readonly store: Store,
    private readonly exporters: Exporter[],
  ) {
    const newest = store.lastIds();
    this.lastEvent = newest.event;
    this.lastAlert = newest.alert;
    for (const s of store.sessions(1000)) if (s.status !== 'running') this.ended.add(s.id);
  }

  start(): void {
    this.timer = setInterval(() => void this.poll(), POLL_MS);
  }

  private async deliver(fn: (x: Exporter) => void | Promise<void> | undefined): Promise<void> {
    for (const x of this.exporters) {
      try {
        await fn(x);
      } catch (e) {
        const f = this.failures.get(x.name) ?? { count: 0, last: '' };
        this.failures.set(x.name, { count: f.count + 1, last: (e as Error).message });
      }
    }
  }

  /** One round: everything new since the last. */
  async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const rows = this.store.rowsAfter('events', this.lastEvent, BATCH);
      if (rows.length) {
        this.lastEvent = rows[rows.length - 1]?.id ?? this.lastEvent;
        const events: WardenEvent[] = rows.map((r) =>
          EventSchema.parse(Object.assign(JSON.parse(r.data), { id: r.id })),
        );
        await this.deliver((x) => x.events?.(events));
      }
      const arows = this.store.rowsAfter('alerts', this.lastAlert, BATCH);
      if (arows.length) {
        this.lastAlert = arows[arows.length - 1]?.id ?? this.lastAlert;
        const alerts: Alert[] = arows.map((r) => AlertSchema.parse(Object.assign(JSON.parse(r.data), { id: r.id })));
        await this.deliver((x) => x.alerts?.(alerts));
      }
      for (const s of this.store.sessions(200)) {
        if (s.status === 'running' || this.ended.has(s.id)) continue;
        this.ended.add(s.id);
        await this.deliver((x) => x.sessionEnded?.(s, this.store));
      }
    } finally {
      this.busy = false;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.poll();
    await Promise.all(this.exporters.map((x) => x.close().catch(() => undefined)));
  }
}
