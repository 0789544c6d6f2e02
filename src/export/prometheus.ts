/**
 * Prometheus metrics, served by the daemon at /api/metrics: events by type
 * (rate() gives events per second), events lost in the kernel, decisions by
 * verdict and mechanism, decision latency, alerts by detector and severity,
 * sessions by status.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Alert } from '../model/records.js';
import type { WardenEvent } from '../model/events.js';
import type { GateCounters } from '../sensor/frames.js';
import type { Store } from '../store/store.js';
import type { Exporter } from './exporter.js';

/** What the daemon's sensor counts itself, read when scraped. */
export interface SensorCounters {
  events: number;
  lost: number;
  gate: GateCounters;
}

/* The file gate's own counters (sensor/loader/gate.c), as gauges. */
const GATE_GAUGES: ReadonlyArray<readonly [string, string, (g: GateCounters) => number]> = [
  ['warden_gate_answered_total', 'permission events the file gate answered', (g) => Number(g.answered)],
  [
    'warden_gate_outsiders_total',
    'of those, opens by processes outside every session (allowed at once)',
    (g) => Number(g.outsiders),
  ],
  ['warden_gate_denied_total', 'session opens the file gate refused', (g) => Number(g.denied)],
  [
    'warden_gate_late_denied_total',
    'session opens refused because the decision deadline had passed',
    (g) => Number(g.lateDenied),
  ],
  [
    'warden_gate_late_outsiders_total',
    'outsiders answered later than the deadline after the gate read them',
    (g) => Number(g.lateOutsiders),
  ],
  [
    'warden_gate_max_wait_seconds',
    "the longest a session's open waited for the gate, from its syscall",
    (g) => Number(g.maxWaitNs) / 1e9,
  ],
  [
    'warden_gate_max_outsider_seconds',
    "the longest from reading an outsider's event to answering it",
    (g) => Number(g.maxOutsiderNs) / 1e9,
  ],
  ['warden_gate_report_drops_total', 'denial reports lost: the output was backed up', (g) => Number(g.queueDrops)],
  ['warden_gate_deadline_seconds', "the file gate's decision deadline", (g) => g.deadlineMs / 1000],
];

export class PrometheusExporter implements Exporter {
  readonly name = 'prometheus';
  readonly registry = new Registry();
  private readonly eventsTotal = new Counter({
    name: 'warden_events_total',
    help: 'events stored, by type',
    labelNames: ['type'],
    registers: [this.registry],
  });
  private readonly decisions = new Counter({
    name: 'warden_decisions_total',
    help: 'policy decisions, by verdict and enforcing mechanism',
    labelNames: ['verdict', 'mechanism'],
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'warden_decision_latency_seconds',
    help: 'time the deciding mechanism took, where it reports it (the file gate)',
    labelNames: ['mechanism'],
    buckets: [5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 1e-2],
    registers: [this.registry],
  });
  private readonly alertsTotal = new Counter({
    name: 'warden_alerts_total',
    help: 'alerts raised, by detector and severity',
    labelNames: ['detector', 'severity'],
    registers: [this.registry],
  });

  /**
   * `sensor`, where the exporter runs beside one (the daemon): the sensor's own counters,
   * read when scraped, so a loss shows while its sessions still run.
   */
  constructor(store: Store, sensor?: () => Promise<SensorCounters>) {
    const registry = this.registry;
    if (sensor) {
      for (const [name, help, value] of GATE_GAUGES) {
        new Gauge({
          name,
          help,
          registers: [registry],
          async collect() {
            const s = await sensor().catch(() => undefined);
            if (s) this.set(value(s.gate));
          },
        });
      }
      new Gauge({
        name: 'warden_sensor_events_read_total',
        help: "events the daemon's sensor has read from the kernel",
        registers: [registry],
        async collect() {
          const s = await sensor().catch(() => undefined);
          if (s) this.set(s.events);
        },
      });
      new Gauge({
        name: 'warden_sensor_events_lost_total',
        help: "events the daemon's sensor lost (ring buffer full, or undecodable), since it started",
        registers: [registry],
        async collect() {
          const s = await sensor().catch(() => undefined);
          if (s) this.set(s.lost);
        },
      });
    }
    new Gauge({
      name: 'warden_events_lost_total',
      help: 'events the kernel could not deliver (ring buffer full), summed over recorded sessions',
      registers: [registry],
      collect() {
        this.set(store.counts.lost());
      },
    });
    new Gauge({
      name: 'warden_sessions',
      help: 'recorded sessions, by status',
      labelNames: ['status'],
      registers: [registry],
      collect() {
        this.reset();
        const rows = store.counts.sessionsByStatus();
        for (const r of rows) this.set({ status: r.status }, r.n);
      },
    });
  }

  events(events: WardenEvent[]): void {
    for (const e of events) {
      this.eventsTotal.inc({ type: e.type });
      if (!e.decision) continue;
      this.decisions.inc({ verdict: e.decision.verdict, mechanism: e.decision.mechanism });
      if (e.decision.latencyUs !== undefined)
        this.latency.observe({ mechanism: e.decision.mechanism }, e.decision.latencyUs / 1e6);
    }
  }

  alerts(alerts: Alert[]): void {
    for (const a of alerts) this.alertsTotal.inc({ detector: a.detector, severity: a.severity });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  async close(): Promise<void> {}
}
