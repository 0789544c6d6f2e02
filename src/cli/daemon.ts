/** `warden daemon` (the local API, and later the dashboard and exporters) and `warden status`. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { ApiServer } from '../api/server.js';
import { dashboardFiles } from '../api/static.js';
import { parseHostPort, type Config } from '../config.js';
import { runDir } from '../daemon.js';
import { Store } from '../store/store.js';
import type { Exporter } from '../export/exporter.js';
import { JsonlExporter } from '../export/jsonl.js';
import { NatsExporter } from '../export/nats.js';
import { OtlpExporter } from '../export/otlp.js';
import { PrometheusExporter } from '../export/prometheus.js';
import { StoreTail } from '../export/tail.js';
import { WebhookExporter } from '../export/webhook.js';
import { table } from './render.js';

export const DaemonInfoSchema = z.object({
  pid: z.number().int(),
  url: z.string().describe('the API on loopback'),
  socket: z.string().describe('the API on a Unix socket'),
  tokenFile: z.string(),
  startedUs: z.number().int(),
});
export type DaemonInfo = z.infer<typeof DaemonInfoSchema>;

export const daemonInfoFile = (cfg: Config): string => join(runDir(cfg), 'daemon.json');
export const tokenFile = (cfg: Config): string => join(cfg.stateDir, 'api.token');

/** The running daemon, if its record is there and its process alive. */
export function runningDaemon(cfg: Config): DaemonInfo | undefined {
  try {
    const info = DaemonInfoSchema.parse(JSON.parse(readFileSync(daemonInfoFile(cfg), 'utf8')));
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}

interface DaemonFlags {
  listen: string;
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

async function runDaemon(cfg: Config, o: DaemonFlags): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('warden daemon needs root (it acts on session cgroups)');
  const other = runningDaemon(cfg);
  if (other) throw new Error(`a warden daemon already runs (pid ${other.pid}, ${other.url})`);
  mkdirSync(runDir(cfg), { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('hex');
  writeFileSync(tokenFile(cfg), token + '\n', { mode: 0o600 });
  const socket = join(runDir(cfg), 'api.sock');
  const tailStore = Store.open(cfg.stateDir);
  const prometheus = new PrometheusExporter(tailStore);
  const tail = new StoreTail(tailStore, [prometheus, ...(await exporters(o))]);
  const ui = dashboardFiles(join(cfg.root, 'dist', 'ui'));
  const api = new ApiServer({ cfg, token, metrics: () => prometheus.text(), ...(ui ? { static: ui } : {}) });
  const { host, port } = parseHostPort(o.listen, 7878);
  const bound = await api.listen(host, port, socket).catch((e: NodeJS.ErrnoException) => {
    throw new Error(
      e.code === 'EADDRINUSE' ? `${host}:${port} is taken: choose another with --listen HOST:PORT` : e.message,
    );
  });
  const info: DaemonInfo = {
    pid: process.pid,
    url: `http://${host}:${bound}`,
    socket,
    tokenFile: tokenFile(cfg),
    startedUs: Date.now() * 1000,
  };
  writeFileSync(`${daemonInfoFile(cfg)}.tmp`, JSON.stringify(info));
  renameSync(`${daemonInfoFile(cfg)}.tmp`, daemonInfoFile(cfg));
  tail.start();
  const names = [o.jsonl && 'jsonl', o.otlp && 'otlp', o.webhook && 'webhook', o.nats && 'nats'].filter(Boolean);
  process.stderr.write(
    `warden daemon: API on ${info.url} and ${socket}; token in ${info.tokenFile}; metrics at /api/metrics` +
      `${names.length ? `; exporting to ${names.join(', ')}` : ''}\n` +
      (ui ? `  dashboard: ${info.url}/#/?token=${token}\n` : '  dashboard: not built (run scripts/setup.sh)\n'),
  );
  await new Promise<void>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
  });
  await api.close();
  await tail.close();
  for (const [name, f] of tail.failures)
    process.stderr.write(`warden daemon: exporter ${name} failed ${f.count} times (last: ${f.last})\n`);
  tailStore.close();
  rmSync(daemonInfoFile(cfg), { force: true });
  rmSync(socket, { force: true });
}

export function daemonCommand(config: () => Config): Command {
  return new Command('daemon')
    .description(
      'run the local API (loopback HTTP and a Unix socket, token-protected), its live stream, metrics and exporters',
    )
    .option('--listen <host:port>', 'where the HTTP API listens (loopback)', '127.0.0.1:7878')
    .option('--jsonl <file>', 'export events and alerts as JSON lines to FILE (- for stdout)')
    .option('--otlp <url>', 'export to an OpenTelemetry collector over OTLP/HTTP, e.g. http://127.0.0.1:4318')
    .option('--webhook <url>', 'POST each alert as JSON to URL')
    .option('--nats <url>', 'publish events and alerts to NATS JetStream, e.g. nats://127.0.0.1:4222')
    .option('--nats-stream <name>', 'the JetStream stream (created if missing)', 'WARDEN')
    .action(async (o: DaemonFlags) => runDaemon(config(), o));
}

export function statusCommand(config: () => Config): Command {
  return new Command('status')
    .description('is the daemon up, which sessions are running, and their alerts')
    .option('--json', 'one JSON object')
    .action((o: { json?: boolean }) => {
      const cfg = config();
      const daemon = runningDaemon(cfg);
      const report = Store.use(cfg.stateDir, (store) => {
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
