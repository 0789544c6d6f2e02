/** Every session on the host, live: status, events, alerts. */
import type { Session } from '../types';
import { time } from '../format';

export function SessionList({ sessions, open }: { sessions: Session[]; open: (id: string) => void }) {
  if (!sessions.length)
    return (
      <p className="empty">
        No sessions yet. Start one with <code>warden run -- CMD</code>.
      </p>
    );
  return (
    <table className="sessions" data-testid="sessions">
      <thead>
        <tr>
          <th>Session</th>
          <th>Name</th>
          <th>Status</th>
          <th>Started</th>
          <th>Events</th>
          <th>Alerts</th>
        </tr>
      </thead>
      <tbody>
        {sessions.map((s) => (
          <tr key={s.id} data-session={s.id} className={`status-${s.status}`} onClick={() => open(s.id)}>
            <td className="mono">{s.id}</td>
            <td>{s.name}</td>
            <td>
              <span className={`badge ${s.status}`}>{s.status}</span>
            </td>
            <td>{time(s.startedUs)}</td>
            <td>{s.events}</td>
            <td data-testid="alert-count" className={s.alerts ? 'alerting' : ''}>
              {s.alerts}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
