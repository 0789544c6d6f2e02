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

/** The live stream; calls back per message kind. Reconnects by itself (EventSource does). */
export function live(
  handlers: { event?: (e: Json) => void; alert?: (a: Json) => void; sessions?: (s: Json[]) => void },
  session?: string,
): () => void {
  const q = new URLSearchParams({ token: token(), ...(session ? { session } : {}) });
  const es = new EventSource(`/api/stream?${q}`);
  es.addEventListener('event', (m) => handlers.event?.(JSON.parse((m as MessageEvent<string>).data) as Json));
  es.addEventListener('alert', (m) => handlers.alert?.(JSON.parse((m as MessageEvent<string>).data) as Json));
  es.addEventListener('sessions', (m) => handlers.sessions?.(JSON.parse((m as MessageEvent<string>).data) as Json[]));
  return () => es.close();
}
