/** One session: policy and mechanisms, quarantine and release, alerts with evidence, timeline, tree, graph. */
import { useCallback, useEffect, useState } from 'react';
import { api, live } from '../api';
import type { Activity, Alert, Graph as G, Proc, Session, Timeline as T, WEvent } from '../types';
import { describe, href, time } from '../format';
import { ActivityChart } from './ActivityChart';
import { Graph } from './Graph';
import { Actions, Timeline } from './Timeline';

function Tree({ procs }: { procs: Proc[] }) {
  const images = procs.filter((p) => p.origin !== 'fork');
  return (
    <ul className="tree" data-testid="tree">
      {images.slice(0, 200).map((p) => (
        <li key={p.execId}>
          <span className="mono">{p.pid}</span> {p.argv.join(' ').slice(0, 140) || p.comm}
        </li>
      ))}
    </ul>
  );
}

/** One session; `alert`: the alert whose provenance to show (the graph opened on it). */
export function SessionView({ id, alert }: { id: string; alert?: number }) {
  const [session, setSession] = useState<Session>();
  const [timeline, setTimeline] = useState<T>();
  const [events, setEvents] = useState<WEvent[]>([]);
  const [procs, setProcs] = useState<Proc[]>([]);
  const [graph, setGraph] = useState<G>();
  const [activity, setActivity] = useState<Activity>();
  const [tab, setTab] = useState<'timeline' | 'tree' | 'graph'>(alert ? 'graph' : 'timeline');
  useEffect(() => {
    if (alert) setTab('graph');
  }, [alert]);
  const [error, setError] = useState('');

  const load = useCallback(async () => {
    try {
      const [s, t, e, p, g, a] = await Promise.all([
        api<Session>(`/api/sessions/${id}`),
        api<T>(`/api/sessions/${id}/timeline`),
        api<WEvent[]>(`/api/sessions/${id}/events?limit=20000`),
        api<Proc[]>(`/api/sessions/${id}/tree`),
        api<G>(`/api/sessions/${id}/graph`),
        api<Activity>(`/api/activity?session=${id}&buckets=60`),
      ]);
      setSession(s);
      setTimeline(t);
      setEvents(e);
      setProcs(p);
      setGraph(g);
      setActivity(a);
      setError('');
    } catch (err) {
      setError((err as Error).message);
    }
  }, [id]);

  useEffect(() => {
    void load();
    let pending: number | undefined;
    /* new events and alerts arrive live; the views are rebuilt at most twice a second */
    const refresh = (): void => {
      pending ??= window.setTimeout(() => {
        pending = undefined;
        void load();
      }, 500);
    };
    const stop = live({ event: refresh, alert: refresh, sessions: refresh }, id);
    return () => {
      stop();
      window.clearTimeout(pending);
    };
  }, [id, load]);

  const act = async (what: 'quarantine' | 'release'): Promise<void> => {
    try {
      await api(`/api/sessions/${id}/${what}`, 'POST');
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  if (!session) return <p>{error || 'loading…'}</p>;
  const alerts: Alert[] = timeline?.alerts ?? [];
  const agentSession = (timeline?.turns.length ?? 0) + (timeline?.otherToolCalls.length ?? 0) > 0;
  return (
    <div className="session" data-testid="session-view">
      <h2>
        {session.name}{' '}
        <span className={`badge ${session.status}`} data-testid="status">
          {session.status}
        </span>
      </h2>
      <p className="meta">
        <span className="mono">{session.id}</span> · started {time(session.startedUs)} · {session.events} events
        {session.lost ? <b> · {session.lost} lost</b> : null}
        {session.agent && (
          <>
            {' '}
            · agent <a href={href('agent', session.agent)}>{session.agent}</a>
          </>
        )}
      </p>
      <p className="meta" data-testid="policy">
        policy <b>{session.policy ?? 'none (monitor only)'}</b>
        {session.mechanisms && (
          <>
            {' '}
            · enforced by {session.mechanisms.active.join(', ')}
            {session.mechanisms.unavailable.length > 0 && (
              <> · unavailable here: {session.mechanisms.unavailable.join(', ')}</>
            )}
          </>
        )}
      </p>
      <div className="actions-bar">
        <button data-testid="quarantine" disabled={session.status !== 'running'} onClick={() => void act('quarantine')}>
          Quarantine (freeze)
        </button>
        <button data-testid="release" disabled={session.status !== 'quarantined'} onClick={() => void act('release')}>
          Release
        </button>
        {error && <span className="error">{error}</span>}
      </div>
      {activity && <ActivityChart activity={activity} title="Activity over the session" />}
      <h3>Alerts ({alerts.length})</h3>
      <ul className="alerts" data-testid="alerts">
        {alerts.map((a) => (
          <li key={a.id} className={`sev-${a.severity}${a.id === alert ? ' focused' : ''}`} data-alert={a.id}>
            <b>{a.detector}</b> [{a.severity}] {a.message}{' '}
            <a data-testid="provenance" href={href('session', id, { alert: String(a.id) })}>
              provenance
            </a>
            {a.eventIds.length > 0 && (
              <span className="evidence">
                {' '}
                evidence:{' '}
                {a.eventIds.map((eid) => {
                  const e = events.find((x) => x.id === eid);
                  return (
                    <code key={eid} title={e ? describe(e) : ''}>
                      #{eid}{' '}
                    </code>
                  );
                })}
              </span>
            )}
          </li>
        ))}
      </ul>
      <nav className="tabs">
        {(['timeline', 'tree', 'graph'] as const).map((x) => (
          <button key={x} className={tab === x ? 'on' : ''} data-testid={`tab-${x}`} onClick={() => setTab(x)}>
            {x}
          </button>
        ))}
      </nav>
      {tab === 'timeline' && timeline && (agentSession ? <Timeline t={timeline} /> : <Actions events={events} />)}
      {tab === 'tree' && <Tree procs={procs} />}
      {tab === 'graph' && graph && <Graph graph={graph} focus={alert ? `a:${alert}` : undefined} />}
    </div>
  );
}
