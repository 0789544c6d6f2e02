/** `warden daemon` (the shared sensor for hosted sessions, the local API, dashboard and exporters) and `warden status`. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { Command } from 'commander';
import { ApiServer } from '../api/server.js';
import { dashboardFiles } from '../api/static.js';
import { apiSocket, controlSocket, daemonInfoFile, parseHostPort, runDir, tokenFile, type Config } from '../config.js';
import { serveControl } from '../host/control-server.js';
import { SensorHost } from '../host/sensor-host.js';
import { runningDaemon, type DaemonInfo } from '../session/daemon-record.js';
import type { Exporter } from '../export/exporter.js';
import { JsonlExporter } from '../export/jsonl.js';
import { NatsExporter } from '../export/nats.js';
import { OtlpExporter } from '../export/otlp.js';
import { PrometheusExporter } from '../export/prometheus.js';
import { StoreTail } from '../export/tail.js';
import { WebhookExporter } from '../export/webhook.js';
import { table } from './render.js';
import { useStore } from '../session/reconcile.js';

interface DaemonFlags {
  listen: string;
  verbose?: boolean;
  jsonl?: string;
  otlp?: string;
  webhook?: string;
  nats?: string;
  natsStream: string;
}

async function exporters(o: DaemonFlags): Promise<Exporter[]> {
  const out: Exporter[] = [];
  if (o.jsonl) out.push(new JsonlExporter(o.jsonl));
  if (o.otlp) out.push(new OtlpExporter(o.otlp));
  if (o.webhook) out.push(new WebhookExporter(o.webhook));
  if (o.nats) {
    const nats = o.nats;
    out.push(
      await NatsExporter.connect(nats, o.natsStream).catch((e: Error) => {
        throw new Error(`cannot reach NATS at ${nats}: ${e.message}`);
      }),
    );
  }
  return out;
}

/** Every hosted session quarantined (never left unwatched), then the daemon's parts closed, in order. */
async function stopDaemon(
  cfg: Config,
  parts: { sensors: SensorHost; control: Server; api: ApiServer; tail: StoreTail; socket: string },
  why: string | undefined,
): Promise<void> {
  const { sensors, control, api, tail, socket } = parts;
  rmSync(daemonInfoFile(cfg), { force: true }); /* no new session registers from here on */
  control.close();
  const hosted = sensors.sessions;
  for (const run of hosted) run.unwatched(why ?? 'the warden daemon stopped: the session would go on unwatched');
  if (hosted.length)
    process.stderr.write(
      `warden daemon: ${hosted.length} running session(s) quarantined: ${hosted.map((r) => r.id).join(', ')}\n`,
    );
  await new Promise((r) => setTimeout(r, 100)); /* their warden runs hear it */
  await Promise.all(hosted.map((run) => run.cleanup()));
  await api.close();
  await tail.close();
  for (const [name, f] of tail.failures)
    process.stderr.write(`warden daemon: exporter ${name} failed ${f.count} times (last: ${f.last})\n`);
  sensors.close();
  rmSync(socket, { force: true });
  rmSync(controlSocket(cfg), { force: true });
}

async function runDaemon(cfg: Config, o: DaemonFlags): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('warden daemon needs root (it acts on session cgroups)');
  const other = runningDaemon(cfg);
  if (other) throw new Error(`a warden daemon already runs (pid ${other.pid}, ${other.url})`);
  mkdirSync(runDir(cfg), { recursive: true, mode: 0o700 });
  const sensors = new SensorHost(cfg, o.verbose);
  await sensors.start();
  const token = randomBytes(32).toString('hex');
  writeFileSync(tokenFile(cfg), token + '\n', { mode: 0o600 });
  const socket = apiSocket(cfg);
  /* the loader's counters as of its last stats frame (one a second): a scrape never waits on a backlog */
  const prometheus = new PrometheusExporter(sensors.store, async () => {
    const { events, drops, gate } = sensors.sensor.stats;
    return { events: Number(events), lost: Number(drops) + sensors.sensor.decodeErrors, gate };
  });
  const tail = new StoreTail(sensors.store, [prometheus, ...(await exporters(o))]);
  const ui = dashboardFiles(join(cfg.root, 'dist', 'ui'));
  const api = new ApiServer({
    cfg,
    store: sensors.store,
    token,
    metrics: () => prometheus.text(),
    storedEvents: (id) => sensors.storedEvents(id),
    ...(ui ? { static: ui } : {}),
  });
  const { host, port } = parseHostPort(o.listen, 7878);
  const bound = await api.listen(host, port, socket).catch((e: NodeJS.ErrnoException) => {
    throw new Error(
      e.code === 'EADDRINUSE' ? `${host}:${port} is taken: choose another with --listen HOST:PORT` : e.message,
    );
  });
  const control = await serveControl(sensors, token);
  const info: DaemonInfo = {
    pid: process.pid,
    url: `http://${host}:${bound}`,
    socket,
    control: controlSocket(cfg),
    tokenFile: tokenFile(cfg),
    startedUs: Date.now() * 1000,
  };
  writeFileSync(`${daemonInfoFile(cfg)}.tmp`, JSON.stringify(info));
  renameSync(`${daemonInfoFile(cfg)}.tmp`, daemonInfoFile(cfg));
  tail.start();
  const names = [o.jsonl && 'jsonl', o.otlp && 'otlp', o.webhook && 'webhook', o.nats && 'nats'].filter(Boolean);
  process.stderr.write(
    `warden daemon: sensor up (${sensors.sensor.info?.programs ?? 0} programs); warden run sessions register here\n` +
      `  API on ${info.url} and ${socket}; token in ${info.tokenFile}; metrics at /api/metrics` +
      `${names.length ? `; exporting to ${names.join(', ')}` : ''}\n` +
      (ui ? `  dashboard: ${info.url}/#/?token=${token}\n` : '  dashboard: not built (run scripts/setup.sh)\n'),
  );
  const why = await new Promise<string | undefined>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve(undefined));
    void sensors.failure.then(resolve);
  });
  await stopDaemon(cfg, { sensors, control, api, tail, socket }, why);
  if (why) throw new Error(`${why}; running sessions were quarantined`);
}

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
    .action(async (o: DaemonFlags) => runDaemon(config(), o));
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
