/** Data the views load from the API, reloaded when the live stream says something changed. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, live } from './api';

/**
 * GETs `path` (nothing while null), and again while the live stream reports new sessions or
 * alerts (and events, for a view that asks for them): one request at a time, at most one per
 * `every` ms (default 500), so a busy host's stream never queues reads behind reads.
 */
export function useLive<T>(
  path: string | null,
  opts: { events?: boolean; session?: string; every?: number } = {},
): { data: T | undefined; error: string } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState('');
  const state = useRef({ busy: false, again: false, last: 0 });
  const load = useCallback(async (): Promise<void> => {
    if (!path) return;
    const s = state.current;
    if (s.busy) {
      s.again = true;
      return;
    }
    s.busy = true;
    s.last = Date.now();
    try {
      setData(await api<T>(path));
      setError('');
    } catch (e) {
      setError((e as Error).message);
    } finally {
      s.busy = false;
    }
    if (s.again) {
      s.again = false;
      void load();
    }
  }, [path]);
  const every = opts.every ?? 500;
  useEffect(() => {
    void load();
    let pending: number | undefined;
    const refresh = (): void => {
      pending ??= window.setTimeout(
        () => {
          pending = undefined;
          void load();
        },
        Math.max(every - (Date.now() - state.current.last), 50),
      );
    };
    const stop = live({ sessions: refresh, alert: refresh, ...(opts.events ? { event: refresh } : {}) }, opts.session);
    return () => {
      stop();
      window.clearTimeout(pending);
    };
  }, [load, every, opts.events, opts.session]);
  return { data, error };
}
