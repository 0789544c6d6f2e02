/** Alerts across every session: filtered by severity, detector, agent and time; each one leads to its provenance. */
import type { AlertList } from '../types';
import { dateTime, go, href, SEVERITIES, WINDOWS } from '../format';
import { useLive } from '../hooks';

export interface AlertFilters {
  severity: string;
  detector: string;
  agent: string;
  window: string;
}

export function AlertsView({ f }: { f: AlertFilters }) {
  const set = (change: Partial<AlertFilters>): void => go('alerts', '', { ...f, ...change });
  const span = WINDOWS[f.window];
  const q = new URLSearchParams({ limit: '500' });
  if (span) q.set('since', String(Math.floor(Date.now() / 60000) * 60000 * 1000 - span));
  if (f.severity) q.set('severity', f.severity);
  if (f.detector) q.set('detector', f.detector);
  if (f.agent) q.set('agent', f.agent);
  const { data, error } = useLive<AlertList>(`/api/alerts?${q}`);
  const chosen = f.severity ? f.severity.split(',') : [];
  const toggle = (s: string): void =>
    set({ severity: (chosen.includes(s) ? chosen.filter((x) => x !== s) : [...chosen, s]).join(',') });
  const facets = data?.facets;
  return (
    <div data-testid="alerts-view">
      <div className="toolbar">
        <h2>Alerts</h2>
        <span className="window">
          {[...Object.keys(WINDOWS), 'all'].map((w) => (
            <button
              key={w}
              className={w === (f.window || 'all') ? 'on' : ''}
              onClick={() => set({ window: w === 'all' ? '' : w })}
            >
              {w}
            </button>
          ))}
        </span>
        {error && <span className="error">{error}</span>}
      </div>
      <div className="filters" data-testid="alert-filters">
        <span className="chips">
          {SEVERITIES.map((s) => (
            <button
              key={s}
              data-testid={`sev-${s}`}
              className={`chip sev-${s} ${chosen.includes(s) ? 'on' : ''}`}
              onClick={() => toggle(s)}
            >
              {s} <small>{facets?.severity[s] ?? 0}</small>
            </button>
          ))}
        </span>
        <label>
          detector{' '}
          <select data-testid="filter-detector" value={f.detector} onChange={(e) => set({ detector: e.target.value })}>
            <option value="">any</option>
            {Object.entries(facets?.detector ?? {}).map(([d, n]) => (
              <option key={d} value={d}>
                {d} ({n})
              </option>
            ))}
          </select>
        </label>
        <label>
          agent{' '}
          <select data-testid="filter-agent" value={f.agent} onChange={(e) => set({ agent: e.target.value })}>
            <option value="">any</option>
            {Object.entries(facets?.agent ?? {}).map(([a, n]) => (
              <option key={a} value={a}>
                {a || '(none)'} ({n})
              </option>
            ))}
          </select>
        </label>
        <span className="muted" data-testid="alert-total">
          {data ? `${data.total} alert${data.total === 1 ? '' : 's'}` : ''}
          {data && data.total > data.alerts.length ? `, newest ${data.alerts.length} shown` : ''}
        </span>
      </div>
      {data && data.alerts.length === 0 && <p className="empty">No alerts match.</p>}
      {data && data.alerts.length > 0 && (
        <table className="grid" data-testid="alert-table">
          <thead>
            <tr>
              <th>Time</th>
              <th>Severity</th>
              <th>Detector</th>
              <th>Agent</th>
              <th>Session</th>
              <th>What happened</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.alerts.map((a) => (
              <tr key={a.id} data-alert={a.id} className={`sev-${a.severity}`}>
                <td className="nowrap">{dateTime(a.timeUs)}</td>
                <td>
                  <span className={`sev sev-${a.severity}`}>{a.severity}</span>
                </td>
                <td>{a.detector}</td>
                <td>{a.agent && <a href={href('agent', a.agent)}>{a.agent}</a>}</td>
                <td>{a.sessionId && <a href={href('session', a.sessionId)}>{a.sessionName ?? a.sessionId}</a>}</td>
                <td>{a.message}</td>
                <td>
                  {a.sessionId && (
                    <a data-testid="provenance" href={href('session', a.sessionId, { alert: String(a.id) })}>
                      provenance
                    </a>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
