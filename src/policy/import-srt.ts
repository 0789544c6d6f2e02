/**
 * Converts a sandbox-runtime (srt) settings file into a Warden policy. What
 * Warden cannot express is listed, never dropped silently.
 */
import { stringify } from 'yaml';
import { z } from 'zod';
import type { Policy } from './schema.js';

const SrtSettingsSchema = z
  .object({
    network: z
      .object({
        allowedDomains: z.array(z.string()).optional(),
        deniedDomains: z.array(z.string()).optional(),
        allowUnixSockets: z.array(z.string()).optional(),
        allowLocalBinding: z.boolean().optional(),
      })
      .passthrough()
      .optional(),
    filesystem: z
      .object({
        denyRead: z.array(z.string()).optional(),
        allowRead: z.array(z.string()).optional(),
        allowWrite: z.array(z.string()).optional(),
        denyWrite: z.array(z.string()).optional(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();

export interface Converted {
  policy: Policy;
  notes: string[];
}

/** srt paths may be relative to where it runs: that is Warden's ${workspace}. */
function path(p: string): string {
  if (p === '.' || p === './') return '${workspace}';
  if (p.startsWith('./')) return `\${workspace}/${p.slice(2)}`;
  if (p.startsWith('/') || p.startsWith('~') || p.startsWith('**/')) return p;
  return `\${workspace}/${p}`;
}

const HANDLED = {
  network: ['allowedDomains', 'deniedDomains', 'allowUnixSockets', 'allowLocalBinding'],
  filesystem: ['denyRead', 'allowWrite', 'denyWrite'],
};

export function convertSrt(json: unknown, name: string): Converted {
  const s = SrtSettingsSchema.parse(json);
  const notes: string[] = [];
  for (const key of Object.keys(s)) {
    if (key !== 'network' && key !== 'filesystem') notes.push(`${key}: not converted (no Warden equivalent yet)`);
  }
  for (const section of ['network', 'filesystem'] as const) {
    for (const key of Object.keys(s[section] ?? {})) {
      if (!(HANDLED[section] as string[]).includes(key)) notes.push(`${section}.${key}: not converted`);
    }
  }
  const network: Policy['network'] = { unix: { allow: [...(s.network?.allowUnixSockets ?? [])] }, listen: 'local' };
  const denied = s.network?.deniedDomains ?? [];
  if (s.network?.allowedDomains) network.allow = [...s.network.allowedDomains];
  const deny: string[] = [];
  for (const d of denied) {
    if (d === '*') {
      network.allow = []; /* deny-all: an empty allow list allows nothing */
      notes.push('network.deniedDomains "*": converted to an empty network.allow');
    } else if (d.startsWith('*:')) {
      deny.push(`0.0.0.0/0:${d.slice(2)}`, `[::/0]:${d.slice(2)}`);
    } else deny.push(d);
  }
  if (deny.length) network.deny = deny;
  if (s.filesystem?.allowRead?.length) {
    notes.push(
      'filesystem.allowRead: not converted (Warden has no re-allow inside denyRead); those paths stay unreadable',
    );
  }
  const files: Policy['files'] = {};
  if (s.filesystem?.denyRead) files.denyRead = s.filesystem.denyRead.map(path);
  if (s.filesystem?.allowWrite) files.allowWrite = s.filesystem.allowWrite.map(path);
  if (s.filesystem?.denyWrite) files.denyWrite = s.filesystem.denyWrite.map(path);
  return {
    policy: {
      apiVersion: 'warden.dev/v1',
      kind: 'Policy',
      metadata: { name, description: 'imported from sandbox-runtime settings' },
      mode: 'enforce',
      onViolation: 'deny',
      files,
      exec: {},
      network,
      tools: { checkActions: true },
      secrets: { outbound: 'redact' },
      detections: { actions: {} },
    },
    notes,
  };
}

export function toYaml({ policy, notes }: Converted, source: string): string {
  const head = [`# Imported from ${source} (sandbox-runtime settings).`, ...notes.map((n) => `# note: ${n}`)];
  return `${head.join('\n')}\n${stringify(policy)}`;
}
