/** Warden's dashboard: the live session list, and one session at a time. */
import { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { api, live } from './api';
import { SessionList } from './components/SessionList';
import { SessionView } from './components/SessionView';
import type { Session } from './types';
import './style.css';

const route = (): string | null => /^#\/session\/([a-z0-9]+)/.exec(location.hash)?.[1] ?? null;

function App() {
  const [sessions, setSessions] = useState<Session[]>([]);
  const [open, setOpen] = useState<string | null>(route());
  const [error, setError] = useState('');
  useEffect(() => {
    const refresh = (): void => {
      api<Session[]>('/api/sessions?limit=200')
        .then((s) => {
          setSessions(s);
          setError('');
        })
        .catch((e: Error) => setError(e.message));
    };
    refresh();
    const stop = live({ sessions: refresh, alert: refresh });
    const onHash = (): void => setOpen(route());
    window.addEventListener('hashchange', onHash);
    return () => {
      stop();
      window.removeEventListener('hashchange', onHash);
    };
  }, []);
  return (
    <div className="app">
      <header>
        <a href="#/" className="brand">
          Warden
        </a>
        <span className="sub">runtime security for AI agents</span>
        {error && <span className="error">{error}</span>}
      </header>
      <main>
        {open ? (
          <SessionView id={open} />
        ) : (
          <SessionList sessions={sessions} open={(id) => (location.hash = `#/session/${id}`)} />
        )}
      </main>
    </div>
  );
}

const root = document.getElementById('root');
if (root) createRoot(root).render(<App />);
