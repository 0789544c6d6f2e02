/** Small readings shared by the views. */
import type { WEvent } from './types';

export const time = (us: number | null): string => (us ? new Date(us / 1000).toISOString().slice(11, 23) : '-');

export function describe(e: WEvent): string {
  switch (e.type) {
    case 'exec':
      return `exec ${(e.argv ?? []).join(' ').slice(0, 160)}`;
    case 'connect':
    case 'send':
      return `${e.type} ${e.daddr}:${e.dport}`;
    case 'dns':
      return `dns ${e.name}`;
    default:
      return `${e.type} ${e.path ?? ''}`;
  }
}

/** What is worth a line in a timeline: actions, not lifecycle noise or library reads. */
export function notable(e: WEvent): boolean {
  if (e.decision && e.decision.verdict !== 'allowed') return true;
  if (e.type === 'fork' || e.type === 'exit') return false;
  /* the launcher setting up the floor, and execvp's PATH search */
  if (e.comm === 'warden-launch' && e.type !== 'exec') return false;
  if (e.type === 'exec-failed' && e.error === 'ENOENT') return false;
  if (
    e.type === 'open' &&
    /^\/(usr\/)?(lib|lib64|share)\/|^\/etc\/ld\.so|^\/dev\/(null|tty)|^\/proc\//.test(e.path ?? '')
  )
    return false;
  return true;
}

export const denied = (e: WEvent): boolean => !!e.decision && e.decision.verdict !== 'allowed';

/** Date and time of day, for what spans more than a day. */
export const dateTime = (us: number | null): string =>
  us ? new Date(us / 1000).toISOString().slice(5, 19).replace('T', ' ') : '-';

/** Severities, most serious first. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];

/** The dashboard's routes: `#/<page>/<arg>?<query>`. */
export interface Route {
  page: string;
  arg: string;
  query: URLSearchParams;
}
export function route(): Route {
  const [path = '', q = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [page = '', ...rest] = path.split('/');
  const query = new URLSearchParams(q);
  query.delete('token');
  return { page, arg: decodeURIComponent(rest.join('/')), query };
}
export function href(page: string, arg = '', query: Record<string, string> = {}): string {
  const q = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '')).toString();
  return `#/${page}${arg ? `/${encodeURIComponent(arg)}` : ''}${q ? `?${q}` : ''}`;
}
export const go = (page: string, arg = '', query: Record<string, string> = {}): void => {
  location.hash = href(page, arg, query);
};

/** The time windows the host views offer, in microseconds. */
export const WINDOWS: Record<string, number> = { '1h': 3600e6, '24h': 86400e6, '7d': 7 * 86400e6 };
