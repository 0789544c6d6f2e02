/**
 * A least-privilege policy from an agent's baseline: the programs it ran,
 * the places it wrote, the destinations it reached and the tools it used,
 * and nothing more. Secrets stay unreadable and start-up files unwritable,
 * as in the built-in policy, whatever the baseline saw.
 */
import { readFileSync } from 'node:fs';
import { stringify, parse } from 'yaml';
import { parsePolicy } from '../policy/load.js';
import type { Policy } from '../policy/schema.js';
import type { Profile } from '../model/profile.js';

/** `${workspace}/src/*` -> `${workspace}`; `~/.cache/x/*` -> `~/.cache`: the place, not every file. */
function place(pattern: string): string {
  const parts = pattern.split('/');
  const fixed: string[] = [];
  for (const p of parts) {
    if (p.includes('*')) break;
    fixed.push(p);
  }
  const head = fixed[0] ?? '';
  const depth = head === '${workspace}' ? 1 : head === '~' ? 2 : 3;
  return fixed.slice(0, depth + 1).join('/') || '/';
}

function collapse(paths: string[]): string[] {
  const sorted = [...new Set(paths)].sort((a, b) => a.length - b.length);
  const out: string[] = [];
  for (const p of sorted) if (!out.some((q) => p === q || p.startsWith(`${q}/`))) out.push(p);
  return out.sort();
}

export function suggestPolicy(profile: Profile, builtinFile: string): { yaml: string; policy: Policy } {
  const builtin = parse(readFileSync(builtinFile, 'utf8')) as Policy;
  const destinations = Object.keys(profile.destinations).map((d) => {
    const [host, port] = [d.slice(0, d.lastIndexOf(':')), d.slice(d.lastIndexOf(':') + 1)];
    return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  });
  const policy = {
    apiVersion: 'warden.dev/v1',
    kind: 'Policy',
    metadata: {
      name: `${profile.agent}-least-privilege`,
      description: `learnt from ${profile.sessions} sessions of ${profile.agent} on ${new Date(profile.builtUs / 1000).toISOString().slice(0, 10)}`,
    },
    mode: 'audit',
    onViolation: 'deny',
    files: {
      denyRead: builtin.files.denyRead ?? [],
      allowWrite: collapse(Object.keys(profile.writes).map(place)),
      denyWrite: builtin.files.denyWrite ?? [],
    },
    exec: {
      allow: Object.keys(profile.binaries)
        .filter((b) => b.startsWith('/'))
        .sort(),
    },
    network: { allow: ['127.0.0.0/8', '::1', ...destinations.sort()] },
    tools: { allow: Object.keys(profile.tools).sort() },
  };
  const head = [
    `# Suggested by warden policy suggest --agent ${profile.agent}: what ${profile.sessions} past sessions needed.`,
    '# It starts in audit mode: run a few sessions, read the would-deny decisions, then set mode: enforce.',
  ].join('\n');
  const yaml = `${head}\n${stringify(policy)}`;
  return { yaml, policy: parsePolicy(yaml, 'suggested policy') };
}
