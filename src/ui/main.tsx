/** Warden's dashboard: the host at a glance, alerts across sessions, agents, search, and one session at a time. */
import { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { AgentsView, AgentView } from './components/AgentsView';
import { AlertsView } from './components/AlertsView';
import { Overview } from './components/Overview';
import { SearchView } from './components/SearchView';
import { SessionView } from './components/SessionView';
import { go, href, route, type Route } from './format';
import './style.css';

const PAGES: Array<[string, string]> = [
  ['', 'Overview'],
  ['alerts', 'Alerts'],
  ['agents', 'Agents'],
  ['search', 'Search'],
];

function Page({ r }: { r: Route }) {
  const q = (k: string): string => r.query.get(k) ?? '';
  switch (r.page) {
    case 'session': {
      const alert = Number(q('alert'));
      return <SessionView key={r.arg} id={r.arg} alert={alert > 0 ? alert : undefined} />;
    }
    case 'alerts':
      return (
        <AlertsView f={{ severity: q('severity'), detector: q('detector'), agent: q('agent'), window: q('window') }} />
      );
    case 'agents':
      return <AgentsView />;
    case 'agent':
      return <AgentView key={r.arg} name={r.arg} />;
    case 'search':
      return <SearchView key={`${q('q')}|${q('type')}`} q={q('q')} type={q('type')} />;
    default:
      return <Overview window={q('window') || '24h'} pick={(w) => go('', '', { window: w })} />;
  }
}

function App() {
  const [r, setRoute] = useState<Route>(route());
  useEffect(() => {
    const onHash = (): void => setRoute(route());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const current = r.page === 'agent' ? 'agents' : r.page;
  return (
    <div className="app">
      <header>
        <a href={href('')} className="brand">
          Warden
        </a>
        <nav className="pages">
          {PAGES.map(([page, label]) => (
            <a
              key={page}
              href={href(page)}
              className={current === page ? 'on' : ''}
              data-testid={`nav-${page || 'overview'}`}
            >
              {label}
            </a>
          ))}
        </nav>
        <span className="sub">runtime security for AI agents</span>
      </header>
      <main>
        <Page r={r} />
      </main>
    </div>
  );
}

const root = document.getElementById('root');
if (root) createRoot(root).render(<App />);
