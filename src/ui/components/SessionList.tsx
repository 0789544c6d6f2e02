/** Sessions, live: status, agent, policy, events, alerts. */
import type { Session } from '../types';
import { dateTime, go, href } from '../format';

export function SessionList({ sessions }: { sessions: Session[] }) {
  if (!sessions.length)
    return (
      <p className="empty">
        No sessions yet. Start one with <code>warden run -- CMD</code>.
      </p>
    );
  return (
    <table className="grid sessions" data-testid="sessions">
      <thead>
        <tr>
          <th>Session</th>
          <th>Name</th>
          <th>Agent</th>
          <th>Status</th>
          <th>Policy</th>
          <th>Started</th>
          <th>Events</th>
          <th>Alerts</th>
        </tr>
      </thead>
      <tbody>
        {sessions.map((s) => (
          <tr key={s.id} data-session={s.id} className={`status-${s.status}`} onClick={() => go('session', s.id)}>
            <td className="mono">{s.id}</td>
            <td>{s.name}</td>
            <td>
              {s.agent && (
                <a href={href('agent', s.agent)} onClick={(e) => e.stopPropagation()}>
                  {s.agent}
                </a>
              )}
            </td>
            <td>
              <span className={`badge ${s.status}`}>{s.status}</span>
            </td>
            <td>{s.policy ?? <span className="muted">monitor only</span>}</td>
            <td>{dateTime(s.startedUs)}</td>
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
