/**
 * NATS JetStream, for fleets that aggregate centrally: events on
 * `<prefix>.events.<session>`, alerts on `<prefix>.alerts.<session>`, into a
 * stream Warden creates if it is missing. Every publish waits for the
 * stream's acknowledgement, so a message is either stored or counted as failed.
 */
import { connect, JSONCodec, type JetStreamClient, type NatsConnection } from 'nats';
import { hostname } from 'node:os';
import type { Alert } from '../model/records.js';
import type { WardenEvent } from '../model/events.js';
import type { Exporter } from './exporter.js';

export class NatsExporter implements Exporter {
  readonly name = 'nats';
  private readonly codec = JSONCodec();
  private readonly host = hostname();

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly prefix: string,
  ) {}

  static async connect(servers: string, stream = 'WARDEN', prefix = 'warden'): Promise<NatsExporter> {
    const nc = await connect({ servers, name: `warden@${hostname()}` });
    const jsm = await nc.jetstreamManager();
    try {
      await jsm.streams.info(stream);
    } catch {
      await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`] });
    }
    return new NatsExporter(nc, nc.jetstream(), prefix);
  }

  private async publish(subject: string, items: unknown[]): Promise<void> {
    await Promise.all(items.map((x) => this.js.publish(subject, this.codec.encode(x))));
  }

  async events(events: WardenEvent[]): Promise<void> {
    const bySession = new Map<string, WardenEvent[]>();
    for (const e of events) bySession.set(e.sessionId, [...(bySession.get(e.sessionId) ?? []), e]);
    for (const [s, list] of bySession) {
      await this.publish(
        `${this.prefix}.events.${s}`,
        list.map((e) => Object.assign({ host: this.host }, e)),
      );
    }
  }

  async alerts(alerts: Alert[]): Promise<void> {
    for (const a of alerts)
      await this.publish(`${this.prefix}.alerts.${a.sessionId ?? 'none'}`, [Object.assign({ host: this.host }, a)]);
  }

  async close(): Promise<void> {
    await this.nc.drain();
  }
}
