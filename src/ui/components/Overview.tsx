/** The host at a glance: activity over a window, what is running, alerts by severity, agents; every session. */
import type { Activity, AgentSummary, AlertList, Session } from '../types';
import { href, SEVERITIES, WINDOWS } from '../format';
import { useLive } from '../hooks';
import { ActivityChart } from './ActivityChart';
import { SessionList } from './SessionList';

export function WindowPicker({ value, pick }: { value: string; pick: (w: string) => void }) {
  return (
    <span className="window" data-testid="window">
      {Object.keys(WINDOWS).map((w) => (
        <button key={w} className={w === value ? 'on' : ''} onClick={() => pick(w)}>
          {w}
        </button>
      ))}
    </span>
  );
}

export function Overview({ window: w, pick }: { window: string; pick: (w: string) => void }) {
  const span = WINDOWS[w] ?? WINDOWS['24h'] ?? 86400e6;
  /* the window is re-read at each reload: rounded to a minute, so the path (and the load) stays put within one */
  const until = Math.ceil(Date.now() / 60000) * 60000 * 1000;
  const since = until - span;
  const sessions = useLive<Session[]>('/api/sessions?limit=200');
  const activity = useLive<Activity>(`/api/activity?since=${since}&until=${until}&buckets=96`, { every: 10000 });
  const alerts = useLive<AlertList>(`/api/alerts?since=${since}&limit=1`);
  const agents = useLive<AgentSummary[]>('/api/agents');
  const error = sessions.error || activity.error || alerts.error || agents.error;
  const list = sessions.data ?? [];
  const running = list.filter((s) => s.status === 'running' || s.status === 'quarantined');
  const bySeverity = alerts.data?.facets.severity ?? {};
  return (
    <div data-testid="overview">
      <div className="toolbar">
        <h2>This host</h2>
        <WindowPicker value={w} pick={pick} />
        {error && <span className="error">{error}</span>}
      </div>
      <div className="cards">
        <a className="card" href={href('')} data-testid="card-running">
          <b>{running.length}</b> running now
          {running.some((s) => s.status === 'quarantined') && (
            <small> · {running.filter((s) => s.status === 'quarantined').length} quarantined</small>
          )}
        </a>
        <a className="card" href={href('alerts', '', { window: w })} data-testid="card-alerts">
          <b>{alerts.data?.total ?? 0}</b> alerts in the last {w}
          <small>
            {SEVERITIES.filter((s) => bySeverity[s]).map((s) => (
              <span key={s} className={`sev sev-${s}`}>
                {bySeverity[s]} {s}
              </span>
            ))}
          </small>
        </a>
        <a className="card" href={href('agents')} data-testid="card-agents">
          <b>{agents.data?.length ?? 0}</b> agents · <b>{activity.data?.sessions ?? 0}</b> sessions in the last {w}
        </a>
      </div>
      {activity.data && <ActivityChart activity={activity.data} title={`Activity on this host, last ${w}`} />}
      <h3>Sessions</h3>
      <SessionList sessions={list} />
    </div>
  );
}
