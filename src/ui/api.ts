/** The dashboard's client for the daemon API: the token comes from the URL the daemon printed. */
export type Json = Record<string, unknown>;

function token(): string {
  const fromHash = new URLSearchParams(location.hash.split('?')[1] ?? '').get('token');
  if (fromHash) sessionStorage.setItem('warden-token', fromHash);
  return sessionStorage.getItem('warden-token') ?? '';
}

export class ApiError extends Error {}

export async function api<T>(path: string, method = 'GET'): Promise<T> {
  const r = await fetch(path, { method, headers: { authorization: `Bearer ${token()}` } });
  const body = (await r.json()) as T & { error?: string };
  if (!r.ok) throw new ApiError(body.error ?? `HTTP ${r.status}`);
  return body;
}

type Handlers = { event?: (e: Json) => void; alert?: (a: Json) => void; sessions?: (s: Json[]) => void };

/* one EventSource per stream (the host's, or one session's), shared by every view that listens:
 * a browser keeps six connections to a host, and each stream holds one */
const hubs = new Map<string, { es: EventSource; subscribers: Set<Handlers> }>();

/** The live stream; calls back per message kind. Reconnects by itself (EventSource does). */
export function live(handlers: Handlers, session?: string): () => void {
  const key = session ?? '';
  let hub = hubs.get(key);
  if (!hub) {
    const q = new URLSearchParams({ token: token(), ...(session ? { session } : {}) });
    const es = new EventSource(`/api/stream?${q}`);
    const subscribers = new Set<Handlers>();
    const each =
      (kind: keyof Handlers) =>
      (m: Event): void => {
        const data = JSON.parse((m as MessageEvent<string>).data) as never;
        for (const h of subscribers) h[kind]?.(data);
      };
    es.addEventListener('event', each('event'));
    es.addEventListener('alert', each('alert'));
    es.addEventListener('sessions', each('sessions'));
    hub = { es, subscribers };
    hubs.set(key, hub);
  }
  const mine = hub;
  mine.subscribers.add(handlers);
  return () => {
    mine.subscribers.delete(handlers);
    if (mine.subscribers.size === 0) {
      mine.es.close();
      hubs.delete(key);
    }
  };
}
