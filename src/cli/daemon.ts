/** `warden daemon` (the local API, and later the dashboard and exporters) and `warden status`. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { ApiServer } from '../api/server.js';
import { parseHostPort, type Config } from '../config.js';
import { runDir } from '../daemon.js';
import { Store } from '../store/store.js';
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

async function runDaemon(cfg: Config, o: { listen: string }): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('warden daemon needs root (it acts on session cgroups)');
  const other = runningDaemon(cfg);
  if (other) throw new Error(`a warden daemon already runs (pid ${other.pid}, ${other.url})`);
  mkdirSync(runDir(cfg), { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('hex');
  writeFileSync(tokenFile(cfg), token + '\n', { mode: 0o600 });
  const socket = join(runDir(cfg), 'api.sock');
  const api = new ApiServer({ cfg, token });
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
  process.stderr.write(`warden daemon: API on ${info.url} and ${socket}; token in ${info.tokenFile}\n`);
  await new Promise<void>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
  });
  await api.close();
  rmSync(daemonInfoFile(cfg), { force: true });
  rmSync(socket, { force: true });
}

export function daemonCommand(config: () => Config): Command {
  return new Command('daemon')
    .description('run the local API (loopback HTTP and a Unix socket, token-protected) with a live event stream')
    .option('--listen <host:port>', 'where the HTTP API listens (loopback)', '127.0.0.1:7878')
    .action(async (o: { listen: string }) => runDaemon(config(), o));
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
