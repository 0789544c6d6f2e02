/**
 * The daemon's local API: loopback HTTP and a Unix socket, both behind one
 * bearer token. Read endpoints over the store (sessions, events, alerts,
 * process trees, timelines, provenance, policies), operator actions
 * (quarantine, release, kill), and a live stream of events and alerts as
 * server-sent events. One error type, one handler.
 */
import { timingSafeEqual } from 'node:crypto';
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import type { Config } from '../config.js';
import { traceEvent } from '../detect/provenance.js';
import { EVENT_TYPES } from '../model/events.js';
import { SEVERITIES } from '../model/records.js';
import { BUILTIN_POLICIES } from '../policy/builtin.js';
import { freezeSession, killSession, NotLive, releaseSession } from '../session/operator.js';
import { OverviewReader } from '../store/overview-reader.js';
import { Store } from '../store/store.js';
import { provenanceGraph } from './graph.js';
import { buildTimeline } from './timeline.js';
import { LiveStream } from './stream.js';

/** An error a client made or can act on: its status and message go back as JSON. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const SessionId = z.string().regex(/^[a-z0-9]{4,40}$/, 'a session id is lowercase letters and digits');
const EventsQuery = z.object({
  types: z
    .string()
    .optional()
    .transform((v) => (v ? v.split(',') : []))
    .refine((ts) => ts.every((t) => (EVENT_TYPES as string[]).includes(t)), {
      message: `types: one of ${EVENT_TYPES.join(', ')}`,
    }),
  limit: z.coerce.number().int().min(1).max(100000).default(10000),
});

const list = z
  .string()
  .optional()
  .transform((v) => (v ? v.split(',').filter(Boolean) : undefined));
const micros = z.coerce.number().int().min(0).optional();
const AlertsQuery = z.object({
  severity: list.refine((v) => !v || v.every((s) => (SEVERITIES as readonly string[]).includes(s)), {
    message: `severity: one of ${SEVERITIES.join(', ')}`,
  }),
  detector: list,
  agent: list,
  session: SessionId.optional(),
  since: micros,
  until: micros,
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
const SearchQuery = z.object({
  q: z.string().trim().min(2, 'q: at least 2 characters to search for').max(200),
  types: EventsQuery.shape.types,
  session: SessionId.optional(),
  agent: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
const ActivityQuery = z.object({
  session: SessionId.optional(),
  agent: z.string().max(200).optional(),
  since: micros,
  until: micros,
  buckets: z.coerce.number().int().min(1).max(500).default(96),
});
const DAY_US = 86400e6;

type Handler = (m: RegExpExecArray, url: URL, req: IncomingMessage, res: ServerResponse) => Promise<unknown> | unknown;

export interface ApiOptions {
  cfg: Config;
  token: string;
  /** serves the dashboard's files; absent: the API alone */
  static?: (path: string, res: ServerResponse) => boolean;
  /** Prometheus text for /api/metrics */
  metrics?: () => Promise<string>;
  /** how many events of a running session are stored so far, where the host counts them (no COUNT(*) per call) */
  storedEvents?: (sessionId: string) => number | undefined;
  /** the host's store: the API reads what the sessions write, through the same connection */
  store: Store;
}

export class ApiServer {
  private readonly store: Store;
  private readonly servers: Server[] = [];
  private readonly stream: LiveStream;
  /* reads across sessions, on a thread of their own: a day's events never hold up the sessions' */
  private readonly overview: OverviewReader;
  private readonly routes: Array<[string, RegExp, Handler]>;

  constructor(private readonly o: ApiOptions) {
    this.store = o.store;
    this.stream = new LiveStream(this.store);
    this.overview = new OverviewReader(this.store.path);
    this.routes = [
      ['GET', /^\/api\/sessions$/, (_m, url) => this.sessions(url)],
      ['GET', /^\/api\/sessions\/([^/]+)\/graph$/, (m) => provenanceGraph(this.store, this.session(m[1]).id)],
      ['GET', /^\/api\/sessions\/([^/]+)$/, (m) => this.liveCount(this.session(m[1]))],
      ['GET', /^\/api\/sessions\/([^/]+)\/events$/, (m, url) => this.events(m[1], url)],
      ['GET', /^\/api\/sessions\/([^/]+)\/alerts$/, (m) => this.store.app.alertsOf(this.session(m[1]).id)],
      ['GET', /^\/api\/sessions\/([^/]+)\/tree$/, (m) => this.tree(m[1])],
      ['GET', /^\/api\/sessions\/([^/]+)\/timeline$/, (m) => buildTimeline(this.store, this.session(m[1]))],
      ['GET', /^\/api\/events\/(\d+)\/trace$/, (m) => this.trace(m[1])],
      ['GET', /^\/api\/policies$/, () => this.policies()],
      ['GET', /^\/api\/alerts$/, (_m, url) => this.alerts(url)],
      ['GET', /^\/api\/search$/, (_m, url) => this.search(url)],
      ['GET', /^\/api\/agents$/, () => this.overview.read('agents')],
      ['GET', /^\/api\/agents\/([^/]+)$/, (m) => this.agent(m[1])],
      ['GET', /^\/api\/activity$/, (_m, url) => this.activity(url)],
      [
        'POST',
        /^\/api\/sessions\/([^/]+)\/quarantine$/,
        (m) => this.operate(() => freezeSession(this.store, this.session(m[1]).id)),
      ],
      [
        'POST',
        /^\/api\/sessions\/([^/]+)\/release$/,
        (m) => this.operate(() => releaseSession(this.store, this.session(m[1]).id)),
      ],
      [
        'POST',
        /^\/api\/sessions\/([^/]+)\/kill$/,
        (m) => this.operate(() => killSession(this.store, this.session(m[1]).id)),
      ],
      ['GET', /^\/api\/stream$/, (_m, url, req, res) => this.stream.attach(url, req, res)],
      ['GET', /^\/api\/metrics$/, (_m, _url, _req, res) => this.metrics(res)],
    ];
  }

  private session(id: string | undefined): ReturnType<Store['lastSession']> & object {
    const parsed = SessionId.safeParse(id);
    if (!parsed.success) throw new ApiError(400, parsed.error.issues[0]?.message ?? 'bad session id');
    const s = this.store.session(parsed.data);
    if (!s) throw new ApiError(404, `no session ${parsed.data}`);
    return s;
  }

  /** Sessions, newest first, each with its alert count. */
  private sessions(url: URL): unknown {
    const limit = z.coerce
      .number()
      .int()
      .min(1)
      .max(1000)
      .catch(100)
      .parse(url.searchParams.get('limit') ?? 100);
    const counts = this.store.counts.alertsBySession();
    return this.store.sessions(limit).map((s) => Object.assign({ alerts: counts.get(s.id) ?? 0 }, this.liveCount(s)));
  }

  /** A running session's event count is kept up to date only at its end: count it now. */
  private liveCount<S extends { id: string; status: string; events: number }>(s: S): S {
    if (s.status !== 'running') return s;
    const known = this.o.storedEvents?.(s.id);
    if (known !== undefined) return Object.assign({}, s, { events: known });
    return Object.assign({}, s, { events: this.store.counts.eventsOf(s.id) });
  }

  private events(id: string | undefined, url: URL): unknown {
    const q = this.query(EventsQuery, url);
    return this.store.eventsOf(this.session(id).id, { types: q.types, limit: q.limit });
  }

  /** Parses a query string, or says in a 400 what is wrong with it. */
  private query<T extends z.ZodTypeAny>(schema: T, url: URL): z.infer<T> {
    const q = schema.safeParse(Object.fromEntries(url.searchParams));
    if (!q.success) throw new ApiError(400, q.error.issues.map((i) => i.message).join('; '));
    return q.data;
  }

  /** Alerts across sessions, filtered; with how many match and what each filter can narrow to. */
  private alerts(url: URL): unknown {
    const q = this.query(AlertsQuery, url);
    return this.overview.read('alerts', {
      severity: q.severity,
      detector: q.detector,
      agent: q.agent,
      session: q.session && this.session(q.session).id,
      sinceUs: q.since,
      untilUs: q.until,
      limit: q.limit,
    });
  }

  private search(url: URL): unknown {
    const q = this.query(SearchQuery, url);
    return this.overview.read('search', {
      text: q.q,
      types: q.types,
      session: q.session && this.session(q.session).id,
      agent: q.agent,
      limit: q.limit,
    });
  }

  private async agent(name: string | undefined): Promise<unknown> {
    let agent: string;
    try {
      agent = decodeURIComponent(name ?? '');
    } catch {
      throw new ApiError(400, 'an agent name is URL-encoded');
    }
    const found = await this.overview.read('agent', agent);
    if (!found) throw new ApiError(404, `no sessions of agent ${agent}`);
    return Object.assign(found, {
      sessions: found.sessions.map((s) => this.liveCount(s)),
      baseline: this.store.baselines.get(agent) ?? null,
    });
  }

  /** A session's activity over its life, or the host's (an agent's) over a window (default: the last day). */
  private activity(url: URL): unknown {
    const q = this.query(ActivityQuery, url);
    const now = Date.now() * 1000;
    if (q.session) {
      const s = this.session(q.session);
      const until = q.until ?? s.endedUs ?? now;
      return this.overview.read('activity', {
        session: s.id,
        sinceUs: q.since ?? s.startedUs,
        untilUs: Math.max(until, s.startedUs + 1),
        buckets: q.buckets,
      });
    }
    const until = q.until ?? now;
    const since = q.since ?? until - DAY_US;
    if (since >= until) throw new ApiError(400, 'since: before until');
    return this.overview.read('activity', { agent: q.agent, sinceUs: since, untilUs: until, buckets: q.buckets });
  }

  private tree(id: string | undefined): unknown {
    const s = this.session(id);
    const events = this.store.eventsOf(s.id);
    return this.store
      .processesOf(s.id)
      .map((p) => Object.assign({}, p, { events: events.filter((e) => e.execId === p.execId) }));
  }

  private trace(id: string | undefined): unknown {
    const n = Number(id);
    if (!this.store.event(n)) throw new ApiError(404, `no event ${n}`);
    return traceEvent(this.store, n, 3);
  }

  private async metrics(res: ServerResponse): Promise<void> {
    if (!this.o.metrics) throw new ApiError(404, 'metrics are not enabled');
    const text = await this.o.metrics();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(text);
  }

  private policies(): unknown {
    return BUILTIN_POLICIES.map((name) => ({
      name,
      yaml: readFileSync(join(this.o.cfg.root, 'policies', `${name}.yaml`), 'utf8'),
    }));
  }

  private async operate(fn: () => unknown): Promise<unknown> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof NotLive) throw new ApiError(409, e.message);
      throw e;
    }
  }

  private authorized(req: IncomingMessage, url: URL): boolean {
    const header = req.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : (url.searchParams.get('token') ?? '');
    const a = Buffer.from(given);
    const b = Buffer.from(this.o.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://warden.local');
    try {
      if (!url.pathname.startsWith('/api/')) {
        if (req.method === 'GET' && this.o.static?.(url.pathname, res)) return;
        throw new ApiError(404, `no such path ${url.pathname}`);
      }
      if (!this.authorized(req, url)) throw new ApiError(401, 'missing or wrong token (Authorization: Bearer <token>)');
      for (const [method, re, handler] of this.routes) {
        const m = re.exec(url.pathname);
        if (!m) continue;
        if (req.method !== method) throw new ApiError(405, `${url.pathname} takes ${method}`);
        const out = await handler(m, url, req, res);
        if (res.headersSent) return; /* the stream answered itself */
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(out));
        return;
      }
      throw new ApiError(404, `no such endpoint ${url.pathname}`);
    } catch (e) {
      const status = e instanceof ApiError ? e.status : 500;
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: e instanceof Error ? e.message : String(e) }));
    }
  }

  /** Listens on loopback (port 0: any) and on a Unix socket; resolves to the TCP port. */
  async listen(host: string, port: number, socketPath?: string): Promise<number> {
    const make = (): Server => {
      const s = createServer((req, res) => void this.handle(req, res));
      this.servers.push(s);
      return s;
    };
    const tcp = make();
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, host, () => resolve());
    });
    if (socketPath) {
      rmSync(socketPath, { force: true });
      const unix = make();
      await new Promise<void>((resolve, reject) => {
        unix.once('error', reject);
        unix.listen(socketPath, () => resolve());
      });
      chmodSync(socketPath, 0o600);
    }
    return (tcp.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.stream.close();
    await this.overview.close();
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((r) => {
            s.closeAllConnections();
            s.close(() => r());
          }),
      ),
    );
  }
}
