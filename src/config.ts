/**
 * Where Warden finds its parts and keeps its state, checked (config-env.ts reads what the
 * environment says of it). Everything else receives a Config.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { rawConfig, type ConfigFields } from './config-env.js';

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
}) satisfies z.ZodType<ConfigFields>;
export type Config = z.infer<typeof ConfigSchema>;

export { parseHostPort } from './config-env.js';

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

/** This process's environment, as a hosted run hands it to the daemon (which takes its upstreams from it). */
export function runEnvironment(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((kv): kv is [string, string] => kv[1] !== undefined));
}

export function loadConfig(overrides: Partial<Config> = {}): Config {
  return ConfigSchema.parse(rawConfig(overrides));
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
