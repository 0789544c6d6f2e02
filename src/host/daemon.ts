/**
 * `warden daemon`: the shared sensor for hosted sessions, the local API, dashboard and exporters,
 * put together. Loaded by the command when it runs (the exporters alone take ~150 ms to load).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { ApiServer } from '../api/server.js';
import { dashboardFiles } from '../api/static.js';
import { apiSocket, controlSocket, daemonInfoFile, parseHostPort, runDir, tokenFile, type Config } from '../config.js';
import type { Exporter } from '../export/exporter.js';
import { JsonlExporter } from '../export/jsonl.js';
import { NatsExporter } from '../export/nats.js';
import { OtlpExporter } from '../export/otlp.js';
import { PrometheusExporter } from '../export/prometheus.js';
import { StoreTail } from '../export/tail.js';
import { WebhookExporter } from '../export/webhook.js';
import { runningDaemon, type DaemonInfo } from '../session/daemon-record.js';
import { serveControl } from './control-server.js';
import { SensorHost } from './sensor-host.js';

export interface DaemonFlags {
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

export async function runDaemon(cfg: Config, o: DaemonFlags): Promise<void> {
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
