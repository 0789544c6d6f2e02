/** Search over every session's events: by path, command line, program, address or DNS name. */
import { useState } from 'react';
import type { FoundEvent } from '../types';
import { dateTime, denied, describe, go, href } from '../format';
import { useLive } from '../hooks';

const TYPES = ['', 'exec', 'open', 'rename', 'unlink', 'connect', 'send', 'dns', 'kill'];

export function SearchView({ q, type }: { q: string; type: string }) {
  const [text, setText] = useState(q);
  const params = new URLSearchParams({ q, limit: '300', ...(type ? { types: type } : {}) });
  const { data, error } = useLive<FoundEvent[]>(q.trim().length >= 2 ? `/api/search?${params}` : null);
  return (
    <div data-testid="search-view">
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          go('search', '', { q: text, type });
        }}
      >
        <h2>Search events</h2>
        <input
          data-testid="search-input"
          value={text}
          placeholder="a path, program, command line, address or DNS name"
          onChange={(e) => setText(e.target.value)}
          size={50}
        />
        <select
          data-testid="search-type"
          value={type}
          onChange={(e) => go('search', '', { q: text, type: e.target.value })}
        >
          {TYPES.map((t) => (
            <option key={t} value={t}>
              {t || 'any kind'}
            </option>
          ))}
        </select>
        <button type="submit">Search</button>
        {error && <span className="error">{error}</span>}
      </form>
      {q.trim().length < 2 && <p className="empty">Type at least two characters.</p>}
      {data && (
        <>
          <p className="muted" data-testid="search-count">
            {data.length} event{data.length === 1 ? '' : 's'}
            {data.length === 300 ? ' (the newest 300)' : ''}
          </p>
          <table className="grid" data-testid="search-results">
            <thead>
              <tr>
                <th>Time</th>
                <th>Session</th>
                <th>Agent</th>
                <th>Process</th>
                <th>Action</th>
                <th>Decision</th>
              </tr>
            </thead>
            <tbody>
              {data.map((e) => (
                <tr key={e.id} className={denied(e) ? 'denied' : ''} data-event={e.id}>
                  <td className="nowrap">{dateTime(e.timeUs)}</td>
                  <td>
                    <a href={href('session', e.sessionId)}>{e.sessionName}</a>
                  </td>
                  <td>{e.agent && <a href={href('agent', e.agent)}>{e.agent}</a>}</td>
                  <td className="mono">
                    {e.comm} [{e.pid}]
                  </td>
                  <td className="mono">{describe(e)}</td>
                  <td>{e.decision ? `${e.decision.verdict} (${e.decision.rule})` : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
