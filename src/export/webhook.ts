/** Each alert POSTed as JSON to a webhook, retried with backoff; an alert that never lands is counted. */
import type { Alert } from '../model/records.js';
import type { Exporter } from './exporter.js';

const TRIES = 3;

export class WebhookExporter implements Exporter {
  readonly name = 'webhook';
  failed = 0;

  constructor(
    private readonly url: string,
    private readonly timeoutMs = 5000,
  ) {}

  async alerts(alerts: Alert[]): Promise<void> {
    for (const a of alerts) {
      let lastError = '';
      for (let i = 0; i < TRIES; i++) {
        try {
          const r = await fetch(this.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'user-agent': 'warden' },
            body: JSON.stringify(a),
            signal: AbortSignal.timeout(this.timeoutMs),
          });
          if (r.ok) {
            lastError = '';
            break;
          }
          lastError = `HTTP ${r.status}`;
        } catch (e) {
          lastError = (e as Error).message;
        }
        await new Promise((r) => setTimeout(r, 200 * 2 ** i));
      }
      if (lastError) {
        this.failed++;
        throw new Error(`alert ${a.id} not delivered to ${this.url}: ${lastError}`);
      }
    }
  }

  async close(): Promise<void> {}
}
