/**
 * The config as the environment says it (config.ts checks it). Kept
 * free of heavy imports (no zod), for the entry's early start of the loader (cli/warden.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the config holds; config.ts's schema checks each field. */
export interface ConfigFields {
  root: string;
  stateDir: string;
  sensorBin: string;
  launchBin: string;
  retentionDays: number;
  ringbufMb: number;
  gateDeadlineMs: number;
  dnsUpstream: { host: string; port: number };
  llmUpstreams: { anthropic: string; openai: string; gemini: string };
}

/** The nearest directory above this file with package.json beside sensor/ (dist/src, or the CLI's bundle). */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'sensor'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the Warden root (package.json beside sensor/)');
}

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

/** Where the model and DNS traffic of a process with environment `env` would have gone: the session's upstreams. */
export function upstreamsOf(env: NodeJS.ProcessEnv): Pick<ConfigFields, 'dnsUpstream' | 'llmUpstreams'> {
  return {
    dnsUpstream: parseHostPort(env.WARDEN_DNS_UPSTREAM ?? systemNameserver(), 53),
    llmUpstreams: {
      anthropic: env.WARDEN_ANTHROPIC_UPSTREAM ?? env.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com',
      openai: env.WARDEN_OPENAI_UPSTREAM ?? env.OPENAI_BASE_URL ?? env.OPENAI_API_BASE ?? 'https://api.openai.com/v1',
      gemini: env.WARDEN_GEMINI_UPSTREAM ?? env.GOOGLE_GEMINI_BASE_URL ?? 'https://generativelanguage.googleapis.com',
    },
  };
}

/** The config as the environment and the overrides say it, unchecked (config.ts checks it). */
export function rawConfig(overrides: Partial<ConfigFields> = {}): ConfigFields {
  const root = overrides.root ?? findRoot();
  const env = process.env;
  const build = join(root, 'sensor', 'build');
  const upstreams = upstreamsOf(env);
  return {
    root,
    stateDir: resolve(
      overrides.stateDir ?? (env.WARDEN_STATE_DIR || '/var/lib/warden') /* empty counts as unset, never the cwd */,
    ),
    sensorBin: overrides.sensorBin ?? join(build, 'warden-sensor'),
    launchBin: overrides.launchBin ?? join(build, 'warden-launch'),
    retentionDays: overrides.retentionDays ?? Number(env.WARDEN_RETENTION_DAYS ?? 30),
    ringbufMb: overrides.ringbufMb ?? Number(env.WARDEN_RINGBUF_MB ?? 64),
    gateDeadlineMs: overrides.gateDeadlineMs ?? Number(env.WARDEN_GATE_DEADLINE_MS ?? 250),
    dnsUpstream: overrides.dnsUpstream ?? upstreams.dnsUpstream,
    llmUpstreams: overrides.llmUpstreams ?? upstreams.llmUpstreams,
  };
}
