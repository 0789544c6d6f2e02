/**
 * The live stream: events and alerts as they reach the store, from every
 * session on the host (or one), as server-sent events. The store is the one
 * source: whatever wrote them (a `warden run`, the daemon), a subscriber sees
 * them in order, and `Last-Event-ID` resumes without a gap.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '../store/store.js';

const POLL_MS = 200;
const BATCH = 2000;

interface Subscriber {
  res: ServerResponse;
  session: string | null;
  types: Set<string> | null;
  lastEvent: number;
  lastAlert: number;
}

export class LiveStream {
  private readonly subs = new Set<Subscriber>();
  private timer: NodeJS.Timeout | undefined;
  private sessionsSig = '';

  constructor(private readonly store: Store) {}

  /** Keeps the response open and streams into it. Resumes after `Last-Event-ID` (`e<id>`) when given. */
  attach(url: URL, req: IncomingMessage, res: ServerResponse): void {
    const last = /^e(\d+)$/.exec(String(req.headers['last-event-id'] ?? url.searchParams.get('after') ?? ''));
    const newest = this.store.lastIds();
    const types = url.searchParams.get('types');
    const sub: Subscriber = {
      res,
      session: url.searchParams.get('session'),
      types: types ? new Set(types.split(',')) : null,
      lastEvent: last ? Number(last[1]) : newest.event,
      lastAlert: newest.alert,
    };
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(': warden live stream\n\n');
    this.subs.add(sub);
    req.on('close', () => this.subs.delete(sub));
    this.timer ??= setInterval(() => this.poll(), POLL_MS);
  }

  private poll(): void {
    if (!this.subs.size) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    const sessions = this.store.sessions(200);
    const sig = sessions.map((s) => `${s.id}:${s.status}:${s.events}`).join(',');
    const changed = sig !== this.sessionsSig;
    this.sessionsSig = sig;
    for (const sub of this.subs) {
      try {
        this.push(sub, changed ? sessions : null);
      } catch {
        this.subs.delete(sub);
      }
    }
  }

  private push(sub: Subscriber, sessions: unknown[] | null): void {
    const events = this.store.rowsAfter('events', sub.lastEvent, BATCH, sub.session);
    for (const r of events) {
      sub.lastEvent = r.id;
      const type = /"type":"([a-z-]+)"/.exec(r.data)?.[1] ?? '';
      if (sub.types && !sub.types.has(type)) continue;
      sub.res.write(`id: e${r.id}\nevent: event\ndata: ${r.data.replace(/^\{/, `{"id":${r.id},`)}\n\n`);
    }
    const alerts = this.store.rowsAfter('alerts', sub.lastAlert, BATCH, sub.session);
    for (const r of alerts) {
      sub.lastAlert = r.id;
      sub.res.write(`event: alert\ndata: ${r.data.replace(/^\{/, `{"id":${r.id},`)}\n\n`);
    }
    if (sessions) sub.res.write(`event: sessions\ndata: ${JSON.stringify(sessions)}\n\n`);
  }

  close(): void {
    clearInterval(this.timer);
    for (const s of this.subs) s.res.end();
    this.subs.clear();
  }
}
