/**
 * Behavioral baselines: what an agent normally does, learnt from its past
 * sessions (programs run, path patterns read and written, destinations, tools,
 * rates), and how far a session strays from it, with each deviation explained.
 * Pure functions over events, so the CLI, the daemon and `warden eval` share them.
 */
import type { WardenEvent } from '../model/events.js';
import type { Profile } from '../model/profile.js';
import { execShape } from '../pipeline/agent-runtime.js';
import { HOME, isCompletedEgress, isEgress, readPath, writtenPath } from './facts.js';

export interface SessionFacts {
  binaries: Set<string>;
  reads: Set<string>;
  writes: Set<string>;
  /** where it tried to reach (refused attempts too) */
  destinations: Set<string>;
  /** where it did reach: only these become normal for the agent when a baseline is learnt */
  reached: Set<string>;
  tools: Set<string>;
  /** shapes of what the agent ran by itself (see execShape) */
  upkeep: Set<string>;
  execs: number;
  writeCount: number;
  /** bytes asked to be sent, per destination (UDP sends carry a size; a connection counts 1) */
  egress: Map<string, number>;
}

/**
 * A path as a pattern: the workspace and home named, random-looking parts
 * (temp dirs, hashes, numbers) starred, a file reduced to its kind (`*.py`),
 * and cut to a few levels, so sessions doing the same kind of work agree.
 */
export function canonicalPath(path: string, workspace: string | null): string {
  let p = path;
  if (workspace && (p === workspace || p.startsWith(`${workspace}/`))) p = `\${workspace}${p.slice(workspace.length)}`;
  else if (p === HOME || p.startsWith(`${HOME}/`)) p = `~${p.slice(HOME.length)}`;
  /* agents keep per-project state in a directory named after the workspace's path
   * (~/.claude/projects/-home-dev-proj): that is the workspace too, whatever its path */
  const key = workspace?.replace(/[^A-Za-z0-9]/g, '-');
  const parts = p
    .split('/')
    .map((seg) =>
      seg === key
        ? '${workspace}'
        : /\d{3,}|[0-9a-f]{8,}|^[A-Za-z0-9]{6,}$(?<=[0-9].*)|-[A-Za-z0-9]{6}$|^tmp[\w.-]+$/.test(seg)
          ? '*'
          : seg,
    );
  const depth = parts[0] === '${workspace}' ? 3 : 4;
  const kept = parts.slice(0, depth);
  if (parts.length > depth) return `${kept.join('/')}/**`;
  const last = kept.length - 1;
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(kept[last] ?? '');
  if (last > 0 && kept[last] !== '*') kept[last] = ext ? `*.${ext[1]}` : '*';
  return kept.join('/');
}

const isNoise = (p: string): boolean => /^\/(proc|sys|dev)\/|^\/(usr\/)?(lib|lib64|share)\/|^\/etc\/ld\.so/.test(p);

export function factsOf(
  events: WardenEvent[],
  tools: string[],
  workspace: string | null,
  names: (addr: string) => string[] = () => [],
): SessionFacts {
  const f: SessionFacts = {
    binaries: new Set(),
    reads: new Set(),
    writes: new Set(),
    destinations: new Set(),
    reached: new Set(),
    tools: new Set(tools),
    upkeep: new Set(),
    execs: 0,
    writeCount: 0,
    egress: new Map(),
  };
  const dnsNames = new Map<string, string>();
  for (const e of events) {
    if (e.type === 'exec' && (e.attribution === 'agent-runtime' || e.attribution === 'undeclared')) {
      const shape = execShape(e.argv);
      if (shape) f.upkeep.add(shape);
    }
    if (e.attribution === 'agent-runtime') continue;
    if (e.type === 'dns') for (const a of e.answers) dnsNames.set(a, e.name.replace(/\.$/, ''));
    if (e.type === 'exec') {
      f.execs++;
      f.binaries.add(e.exe || (e.argv[0] ?? '?'));
    }
    const r = readPath(e);
    if (r && !isNoise(r)) f.reads.add(canonicalPath(r, workspace));
    const w = writtenPath(e);
    if (w && !isNoise(w)) {
      f.writeCount++;
      f.writes.add(canonicalPath(w, workspace));
    }
    if (isEgress(e)) {
      const host = dnsNames.get(e.daddr) ?? names(e.daddr)[0] ?? e.daddr;
      const dest = `${host}:${e.dport}`;
      f.destinations.add(dest);
      if (isCompletedEgress(e)) f.reached.add(dest);
      f.egress.set(dest, (f.egress.get(dest) ?? 0) + (e.type === 'send' ? e.bytes : 1));
    }
  }
  return f;
}

const countInto = (into: Record<string, number>, keys: Set<string>): void => {
  for (const k of keys) into[k] = (into[k] ?? 0) + 1;
};

function meanSd(xs: number[]): { mean: number; sd: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length));
  return { mean, sd };
}

export function learnProfile(agent: string, sessions: SessionFacts[]): Profile {
  const p: Profile = {
    agent,
    sessions: sessions.length,
    builtUs: Date.now() * 1000,
    binaries: {},
    reads: {},
    writes: {},
    destinations: {},
    tools: {},
    upkeep: {},
    rates: { execs: meanSd(sessions.map((s) => s.execs)), writes: meanSd(sessions.map((s) => s.writeCount)) },
  };
  for (const s of sessions) {
    countInto(p.binaries, s.binaries);
    countInto(p.reads, s.reads);
    countInto(p.writes, s.writes);
    countInto(p.destinations, s.reached);
    countInto(p.tools, s.tools);
    countInto(p.upkeep, s.upkeep);
  }
  return p;
}

export interface Deviation {
  kind: 'binary' | 'read' | 'write' | 'destination' | 'tool' | 'rate';
  what: string;
  weight: number;
  explanation: string;
}

/**
 * How likely one novelty of each kind is to matter. Reaching somewhere new
 * matters most; reading somewhere new least, and reads together count for at
 * most READ_CAP, so a long session's many new reads do not drown the rest.
 */
const WEIGHT: Record<Deviation['kind'], number> = {
  destination: 0.5,
  binary: 0.2,
  tool: 0.2,
  write: 0.05 /* inside the workspace; elsewhere more (see place) */,
  read: 0.01,
  rate: 0.3,
};
const READ_CAP = 0.4;

/**
 * 0..1: the chance that something in the session is out of character, each
 * novelty counted as independent evidence (1 - Π(1 - w)). Familiar work around
 * a novelty does not dilute it: one new destination inside a normal session
 * still scores as one new destination.
 */
export function scoreSession(profile: Profile, f: SessionFacts): { score: number; deviations: Deviation[] } {
  const deviations: Deviation[] = [];
  const novel = (kind: Deviation['kind'], seen: Record<string, number>, items: Set<string>, noun: string): void => {
    for (const x of items) {
      if (seen[x]) continue;
      deviations.push({
        kind,
        what: x,
        weight: kind === 'read' || kind === 'write' ? place(kind, x) : WEIGHT[kind],
        explanation: `${noun} ${x} never seen in ${profile.sessions} past sessions of ${profile.agent}`,
      });
    }
  };
  /* where a novelty lands matters: the workspace is the agent's to change; home dotfiles are not */
  const place = (kind: 'read' | 'write', x: string): number => {
    const inside = x.startsWith('${workspace}') || x.startsWith('/tmp/');
    if (kind === 'write') return inside ? 0.05 : 0.25;
    return inside ? 0.01 : x.startsWith('~/.') || x.startsWith('/etc/') ? 0.15 : 0.03;
  };
  novel('destination', profile.destinations, f.destinations, 'reached');
  novel('binary', profile.binaries, f.binaries, 'ran');
  novel('write', profile.writes, f.writes, 'wrote to');
  novel('tool', profile.tools, f.tools, 'used tool');
  novel('read', profile.reads, f.reads, 'read from');
  for (const [name, value, r] of [
    ['execs', f.execs, profile.rates.execs],
    ['writes', f.writeCount, profile.rates.writes],
  ] as const) {
    const z = (value - r.mean) / Math.max(r.sd, 1, r.mean * 0.25);
    if (z > 3) {
      deviations.push({
        kind: 'rate',
        what: name,
        weight: WEIGHT.rate,
        explanation: `${value} ${name}, against ${r.mean.toFixed(0)} ± ${r.sd.toFixed(0)} usually (z = ${z.toFixed(1)})`,
      });
    }
  }
  let keep = 1;
  let reads = 1;
  for (const d of deviations) {
    if (d.kind === 'read') reads *= 1 - d.weight;
    else keep *= 1 - d.weight;
  }
  keep *= 1 - Math.min(READ_CAP, 1 - reads);
  deviations.sort((a, b) => b.weight - a.weight);
  return { score: 1 - keep, deviations };
}

/** What the agent is known to run by itself: upkeep seen in at least two of its benign sessions. */
export const learntUpkeep = (p: Profile | undefined): string[] =>
  Object.entries(p?.upkeep ?? {})
    .filter(([, n]) => n >= 2)
    .map(([k]) => k);
