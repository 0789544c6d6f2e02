/** Events and alerts as JSON lines, to a file or stdout: `{"kind":"event",...}`, `{"kind":"alert",...}`. */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Alert } from '../model/records.js';
import type { WardenEvent } from '../model/events.js';
import type { Exporter } from './exporter.js';

export class JsonlExporter implements Exporter {
  readonly name = 'jsonl';
  private readonly out: WriteStream | NodeJS.WriteStream;

  constructor(target: string) {
    this.out = target === '-' ? process.stdout : createWriteStream(target, { flags: 'a' });
  }

  events(events: WardenEvent[]): void {
    this.out.write(events.map((e) => JSON.stringify(Object.assign({ kind: 'event' }, e))).join('\n') + '\n');
  }

  alerts(alerts: Alert[]): void {
    this.out.write(alerts.map((a) => JSON.stringify(Object.assign({ kind: 'alert' }, a))).join('\n') + '\n');
  }

  close(): Promise<void> {
    return new Promise((r) => (this.out === process.stdout ? r() : (this.out as WriteStream).end(r)));
  }
}
