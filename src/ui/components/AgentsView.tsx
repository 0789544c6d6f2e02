/** Agents: every agent that ran here, and one agent's page (sessions, alerts, baseline, programs, destinations). */
import type { Activity, AgentDetail, AgentSummary } from '../types';
import { dateTime, href, SEVERITIES } from '../format';
import { useLive } from '../hooks';
import { ActivityChart } from './ActivityChart';
import { SessionList } from './SessionList';

function Severities({ counts }: { counts: Record<string, number> }) {
  const shown = SEVERITIES.filter((s) => counts[s]);
  if (!shown.length) return <span className="muted">none</span>;
  return (
    <>
      {shown.map((s) => (
        <span key={s} className={`sev sev-${s}`}>
          {counts[s]} {s}
        </span>
      ))}
    </>
  );
}

export function AgentsView() {
  const { data, error } = useLive<AgentSummary[]>('/api/agents');
  return (
    <div data-testid="agents-view">
      <h2>Agents</h2>
      {error && <p className="error">{error}</p>}
      {data && data.length === 0 && <p className="empty">No agent has run here yet.</p>}
      {data && data.length > 0 && (
        <table className="grid" data-testid="agent-table">
          <thead>
            <tr>
              <th>Agent</th>
              <th>Sessions</th>
              <th>Running</th>
              <th>Last started</th>
              <th>Alerts</th>
            </tr>
          </thead>
          <tbody>
            {data.map((a) => (
              <tr key={a.agent} data-agent={a.agent}>
                <td>
                  <a href={href('agent', a.agent)}>{a.agent || '(none)'}</a>
                </td>
                <td>{a.sessions}</td>
                <td>{a.running}</td>
                <td>{dateTime(a.lastStartedUs)}</td>
                <td>
                  <Severities counts={a.alerts} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

const top = (counts: Record<string, number>, n = 12): Array<[string, number]> =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n);

function Usual({ title, counts }: { title: string; counts: Record<string, number> }) {
  return (
    <>
      <h4>{title}</h4>
      <p className="mono small">
        {top(counts)
          .map(([k, n]) => `${k} (${n})`)
          .join(', ') || '-'}
      </p>
    </>
  );
}

export function AgentView({ name }: { name: string }) {
  const { data, error } = useLive<AgentDetail>(`/api/agents/${encodeURIComponent(name)}`);
  const first = data?.sessions.at(-1)?.startedUs;
  const last = data?.sessions[0];
  const until = last ? (last.endedUs ?? Math.ceil(Date.now() / 60000) * 60000 * 1000) : 0;
  const activity = useLive<Activity>(
    first && until
      ? `/api/activity?agent=${encodeURIComponent(name)}&since=${first}&until=${Math.max(until, first + 1)}&buckets=96`
      : null,
    { every: 10000 },
  );
  if (!data) return <p>{error || 'loading…'}</p>;
  const b = data.baseline;
  return (
    <div data-testid="agent-view">
      <h2>
        Agent <span className="mono">{data.agent || '(none)'}</span>
      </h2>
      <p className="meta">
        {data.sessions.length} sessions · alerts <Severities counts={data.alerts} />
        {Object.keys(data.detectors).length > 0 && (
          <>
            {' '}
            · by{' '}
            {top(data.detectors).map(([d, n]) => (
              <a key={d} className="chip" href={href('alerts', '', { agent: data.agent, detector: d })}>
                {d} {n}
              </a>
            ))}
          </>
        )}
      </p>
      {activity.data && <ActivityChart activity={activity.data} title={`Activity of ${data.agent}'s sessions`} />}
      <div className="columns">
        <section data-testid="agent-programs">
          <h3>Programs it ran</h3>
          <table className="grid compact">
            <thead>
              <tr>
                <th>Program</th>
                <th>Runs</th>
                <th>Sessions</th>
              </tr>
            </thead>
            <tbody>
              {data.programs.map((p) => (
                <tr key={p.exe}>
                  <td className="mono">
                    <a href={href('search', '', { q: p.exe, type: 'exec' })}>{p.exe}</a>
                  </td>
                  <td>{p.runs}</td>
                  <td>{p.sessions}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section data-testid="agent-destinations">
          <h3>Where it connected</h3>
          {data.destinations.length === 0 && <p className="empty">No connections.</p>}
          <table className="grid compact" hidden={data.destinations.length === 0}>
            <thead>
              <tr>
                <th>Destination</th>
                <th>Connects</th>
                <th>Sessions</th>
                <th>Refused</th>
              </tr>
            </thead>
            <tbody>
              {data.destinations.map((d) => (
                <tr key={d.destination} className={d.denied ? 'denied' : ''}>
                  <td className="mono">{d.destination}</td>
                  <td>{d.connects}</td>
                  <td>{d.sessions}</td>
                  <td>{d.denied || ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section data-testid="agent-baseline">
          <h3>Baseline</h3>
          {!b && (
            <p className="empty">
              Not learnt yet: <code>warden baseline learn --agent {data.agent}</code> after a few sessions.
            </p>
          )}
          {b && (
            <>
              <p className="meta">
                learnt from {b.sessions} sessions, {dateTime(b.builtUs)}
              </p>
              <Usual title="Usual programs" counts={b.binaries} />
              <Usual title="Usual destinations" counts={b.destinations} />
              <Usual title="Usual tools" counts={b.tools} />
            </>
          )}
        </section>
      </div>
      <h3>Sessions</h3>
      <SessionList sessions={data.sessions} />
    </div>
  );
}
