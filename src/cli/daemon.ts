/** `warden daemon` and `warden status`. */
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import type { Config } from '../config.js';
import type { DaemonFlags } from '../host/daemon.js';
import { runningDaemon } from '../session/daemon-record.js';
import { table } from './render.js';
import { useStore } from '../session/reconcile.js';

export function daemonCommand(config: () => Config): Command {
  return new Command('daemon')
    .description(
      'run the sensor for every session on the host (warden run registers with it), the local API ' +
        '(loopback HTTP and a Unix socket, token-protected) with its live stream, the dashboard, metrics and exporters',
    )
    .option('--listen <host:port>', 'where the HTTP API listens (loopback)', '127.0.0.1:7878')
    .option('--jsonl <file>', 'export events and alerts as JSON lines to FILE (- for stdout)')
    .option('--otlp <url>', 'export to an OpenTelemetry collector over OTLP/HTTP, e.g. http://127.0.0.1:4318')
    .option('--webhook <url>', 'POST each alert as JSON to URL')
    .option('--nats <url>', 'publish events and alerts to NATS JetStream, e.g. nats://127.0.0.1:4222')
    .option('--nats-stream <name>', 'the JetStream stream (created if missing)', 'WARDEN')
    .option('-v, --verbose', 'show the sensor log')
    .action(async (o: DaemonFlags) => (await import('../host/daemon.js')).runDaemon(config(), o));
}

export function statusCommand(config: () => Config): Command {
  return new Command('status')
    .description('is the daemon up, which sessions are running, and their alerts')
    .option('--json', 'one JSON object')
    .action((o: { json?: boolean }) => {
      const cfg = config();
      const daemon = runningDaemon(cfg);
      const report = useStore(cfg.stateDir, (store) => {
        const running = store.sessions(500).filter((s) => s.status === 'running' || s.status === 'quarantined');
        return running.map((s) => ({
          id: s.id,
          name: s.name,
          status: s.status,
          live: existsSync(s.cgroup),
          events: s.events,
          alerts: store.app.alertsOf(s.id).length,
        }));
      });
      if (o.json) return console.log(JSON.stringify({ daemon: daemon ?? null, sessions: report }));
      console.log(
        daemon
          ? `daemon: up (pid ${daemon.pid}) at ${daemon.url}`
          : 'daemon: not running (start it with: warden daemon)',
      );
      if (!report.length) return console.log('no running sessions');
      console.log(
        table([
          ['SESSION', 'STATUS', 'CGROUP', 'EVENTS', 'ALERTS', 'NAME'],
          ...report.map((s) => [s.id, s.status, s.live ? 'live' : 'gone', String(s.events), String(s.alerts), s.name]),
        ]),
      );
    });
}
