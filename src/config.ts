/**
 * Where Warden finds its parts and keeps its state. The only module that reads
 * the environment; everything else receives a Config.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The repository (or install) root: two levels above this file in dist/src. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'sensor'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the Warden root (package.json beside sensor/)');
}

export const ConfigSchema = z.object({
  root: z.string().describe('Warden install root'),
  stateDir: z.string().describe('directory holding the SQLite store'),
  sensorBin: z.string().describe('path to the warden-sensor loader'),
  launchBin: z.string().describe('path to the warden-launch helper'),
  retentionDays: z.number().int().min(0).describe('sessions older than this are deleted; 0 keeps all'),
  ringbufMb: z.number().int().min(1).max(1024).describe('ring buffer size in MiB, a power of two'),
  gateDeadlineMs: z
    .number()
    .int()
    .min(1)
    .max(60000)
    .describe("the file gate's decision deadline: a session's open still waiting this long is refused"),
  dnsUpstream: z
    .object({ host: z.string(), port: z.number().int() })
    .describe("where Warden's resolver forwards allowed names (default: the first nameserver in /etc/resolv.conf)"),
  llmUpstreams: z
    .object({ anthropic: z.string().url(), openai: z.string().url(), gemini: z.string().url() })
    .describe(
      "where the LLM proxy forwards each provider's traffic (default: the agent's own base URL, else the provider)",
    ),
});
export type Config = z.infer<typeof ConfigSchema>;

/** `host`, `host:port` or `[v6]:port`. */
export function parseHostPort(text: string, defaultPort: number): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text);
  if (!m) return { host: text, port: defaultPort };
  return { host: m[1] ?? text, port: m[2] ? Number(m[2]) : defaultPort };
}

function systemNameserver(): string {
  try {
    const m = /^nameserver\s+(\S+)/m.exec(readFileSync('/etc/resolv.conf', 'utf8'));
    if (m?.[1]) return m[1].includes(':') ? `[${m[1]}]` : m[1];
  } catch {
    /* no resolv.conf: glibc's own default */
  }
  return '127.0.0.1';
}

/** What `warden hook` and `warden mcp` learn from the session they run in (set by `warden run`). */
export function sessionEnv(): { sessionId?: string; socket?: string } {
  const env = process.env;
  return {
    ...(env.WARDEN_SESSION ? { sessionId: env.WARDEN_SESSION } : {}),
    ...(env.WARDEN_SOCKET ? { socket: env.WARDEN_SOCKET } : {}),
  };
}

/** The environment a session's agent starts with: this process's own, plus what Warden adds. */
export function agentEnvironment(added: Record<string, string>): NodeJS.ProcessEnv {
  return Object.assign({}, process.env, added);
}

export function loadConfig(overrides: Partial<Config> = {}): Config {
  const root = overrides.root ?? findRoot();
  const env = process.env;
  const build = join(root, 'sensor', 'build');
  return ConfigSchema.parse({
    root,
    stateDir: resolve(
      overrides.stateDir ?? (env.WARDEN_STATE_DIR || '/var/lib/warden') /* empty counts as unset, never the cwd */,
    ),
    sensorBin: overrides.sensorBin ?? join(build, 'warden-sensor'),
    launchBin: overrides.launchBin ?? join(build, 'warden-launch'),
    retentionDays: overrides.retentionDays ?? Number(env.WARDEN_RETENTION_DAYS ?? 30),
    ringbufMb: overrides.ringbufMb ?? Number(env.WARDEN_RINGBUF_MB ?? 64),
    gateDeadlineMs: overrides.gateDeadlineMs ?? Number(env.WARDEN_GATE_DEADLINE_MS ?? 250),
    dnsUpstream: overrides.dnsUpstream ?? parseHostPort(env.WARDEN_DNS_UPSTREAM ?? systemNameserver(), 53),
    llmUpstreams: overrides.llmUpstreams ?? {
      anthropic: env.WARDEN_ANTHROPIC_UPSTREAM ?? env.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com',
      openai: env.WARDEN_OPENAI_UPSTREAM ?? env.OPENAI_BASE_URL ?? env.OPENAI_API_BASE ?? 'https://api.openai.com/v1',
      gemini: env.WARDEN_GEMINI_UPSTREAM ?? env.GOOGLE_GEMINI_BASE_URL ?? 'https://generativelanguage.googleapis.com',
    },
  });
}

/* Where things live under the state directory. The run directory (0700) holds what running
 * sessions and the daemon share; the launch floor keeps agents from writing any of it. */
export const runDir = (cfg: Config): string => join(cfg.stateDir, 'run');
/** `warden policy reload` drops a request here and waits for the result beside it. */
/** A session's own control socket (`warden policy reload`): root's, never the agent's (it is masked, or refused by the kernel) */
export const sessionSocket = (cfg: Config, id: string): string => join(runDir(cfg), `${id}.ctl`);
/** The session's application-layer socket (hooks, MCP proxies inside the session). */
export const appSocket = (cfg: Config, id: string): string => join(runDir(cfg), `${id}.sock`);
/** The daemon's API token: the API and the session control socket both ask for it. */
export const tokenFile = (cfg: Config): string => join(cfg.stateDir, 'api.token');
/** The running daemon's record (pid, URL, sockets). */
export const daemonInfoFile = (cfg: Config): string => join(runDir(cfg), 'daemon.json');
/** The daemon's API on a Unix socket. */
export const apiSocket = (cfg: Config): string => join(runDir(cfg), 'api.sock');
/** Where a `warden run` asks the daemon to host its session. */
export const controlSocket = (cfg: Config): string => join(runDir(cfg), 'control.sock');
