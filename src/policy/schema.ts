/**
 * The policy file: what an agent may touch. Zod is the source of truth; the
 * JSON Schema editors use is generated from it (`warden policy schema`).
 *
 * Lists: an absent list places no limit; an empty allow list allows nothing.
 */
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

const PathPattern = z
  .string()
  .min(1)
  .refine((p) => p.startsWith('/') || p.startsWith('~') || p.startsWith('${workspace}') || p.startsWith('**/'), {
    message: 'a path must be absolute, or start with ~, ${workspace} or **/',
  })
  .describe('a path or glob; ~ is the home directory, ${workspace} the agent workspace; ** matches any depth');

export type NetTarget =
  | { kind: 'cidr'; family: 4 | 6; address: string; prefix: number; port?: number; text: string }
  | { kind: 'domain'; pattern: string; wildcard: boolean; port?: number; text: string };

const DOMAIN = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** Parses `host[:port]`, `[v6]:port`, a CIDR, or a domain with an optional `*.` prefix. */
export function parseNetTarget(text: string): NetTarget | string {
  let host = text.trim();
  let port: number | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(host);
  if (bracket) {
    host = bracket[1] ?? '';
    if (bracket[2]) port = Number(bracket[2]);
  } else if ((host.match(/:/g) ?? []).length === 1) {
    const [h, p] = host.split(':');
    host = h ?? '';
    if (!/^\d+$/.test(p ?? '')) return `bad port in ${text}`;
    port = Number(p);
  }
  if (port !== undefined && (port < 1 || port > 65535)) return `port out of range in ${text}`;
  const [addr, prefixText] = host.split('/');
  if (addr && ipaddr.isValid(addr)) {
    const parsed = ipaddr.parse(addr);
    const family = parsed.kind() === 'ipv4' ? 4 : 6;
    const max = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return `bad prefix length in ${text}`;
    return { kind: 'cidr', family, address: parsed.toNormalizedString(), prefix, port, text };
  }
  if (prefixText !== undefined) return `not an address: ${text}`;
  if (!DOMAIN.test(host)) return `not a host, domain or CIDR: ${text}`;
  const wildcard = host.startsWith('*.');
  return { kind: 'domain', pattern: (wildcard ? host.slice(2) : host).toLowerCase(), wildcard, port, text };
}

const NetTargetText = z
  .string()
  .superRefine((v, ctx) => {
    const t = parseNetTarget(v);
    if (typeof t === 'string') ctx.addIssue({ code: 'custom', message: t });
  })
  .describe('host[:port], a domain with optional *. prefix, or a CIDR such as 10.0.0.0/8');

/* a path a rule protects: written plainly, or with the places it does not cover */
const ProtectedPath = z.union([
  PathPattern,
  z
    .object({
      path: PathPattern,
      except: z
        .array(PathPattern)
        .default([])
        .describe('places the rule does not cover (each path and beneath it), e.g. the workspace'),
      ifExists: z
        .boolean()
        .default(false)
        .describe('only if the path exists when the session starts (git init may still create it)'),
      allowChanges: z
        .enum(['git-config'])
        .optional()
        .describe(
          'git-config: a git config file whose changes are judged by content. A rewrite that sets only what ' +
            "git's ordinary work sets (a branch, a remote, user.name) is let through; one that sets anything that " +
            'can run a command (core.hooksPath, an alias with !, a filter, an include) is refused',
        ),
      scope: z
        .enum(['all', 'tools'])
        .default('all')
        .describe(
          "whom the rule holds for. all: every process of the session. tools: the agent's tool processes (every " +
            'command it runs, MCP servers, whatever they start), while the agent program itself may change the file ' +
            '(an agent CLI saving its own settings). Told apart by kernel lineage: the session’s first process and ' +
            "the agent's own images it starts itself. Written with O_CREAT or renamed over (made, if it was not there but its directory was); " +
            'writes only (files.denyWrite)',
        ),
    })
    .strict()
    .refine((r) => !r.ifExists || !/[*?[\]{}()!]/.test(r.path.replace('${workspace}', '')), {
      message: 'ifExists takes a path, not a glob',
    })
    .refine((r) => !r.allowChanges || !/[*?[\]{}()!]/.test(r.path.replace('${workspace}', '')), {
      message: 'allowChanges takes a path, not a glob',
    })
    .refine((r) => r.scope === 'all' || !/[*?[\]{}()!]/.test(r.path.replace('${workspace}', '')), {
      message: 'scope: tools takes a path, not a glob',
    })
    .refine((r) => r.scope === 'all' || !r.allowChanges, { message: 'scope: tools and allowChanges do not combine' }),
]);

/* the kernel matches a Unix socket's name as given: a path and what is beneath it, no other glob */
const UnixPath = z
  .string()
  .min(1)
  .refine((p) => p.startsWith('/') || p.startsWith('~') || p.startsWith('${workspace}'), {
    message: 'a Unix socket path must be absolute, or start with ~ or ${workspace}',
  })
  .refine((p) => !/[*?[\]{}]/.test(p.replace(/\/\*\*$/, '')), {
    message: 'a Unix socket rule is a path (and everything beneath it): no glob but a trailing /**',
  })
  .refine((p) => p.length < 100, { message: 'a Unix socket path has at most 107 bytes' })
  .describe('a socket path, or a directory and every socket beneath it (a trailing /** is allowed)');

const ToolName = z.string().min(1).describe('a tool name or glob: Bash, Write, mcp__github__*, *');
const ToolArgs = z
  .record(z.string(), z.union([z.string(), z.array(z.string()).min(1)]))
  .describe(
    'argument name -> glob(s) its value must match. A glob starting with /, ~, ${workspace} or **/ is a path glob; ' +
      'otherwise * matches any text',
  );
export const ToolRuleSchema = z
  .union([
    ToolName,
    z
      .object({
        tool: ToolName,
        args: ToolArgs.optional(),
        reason: z.string().optional().describe('shown to the agent when this rule denies a call'),
      })
      .strict(),
  ])
  .describe('a tool name glob, or a tool with argument constraints');
export type ToolRuleSpec = z.infer<typeof ToolRuleSchema>;

export const PolicySchema = z
  .object({
    apiVersion: z.literal('warden.dev/v1').describe('policy format version'),
    kind: z.literal('Policy'),
    metadata: z
      .object({
        name: z.string().min(1).describe('a name shown with every decision'),
        description: z.string().optional(),
      })
      .strict(),
    mode: z
      .enum(['enforce', 'audit'])
      .default('enforce')
      .describe('enforce blocks; audit records "would-deny" and blocks nothing'),
    onViolation: z
      .enum(['deny', 'kill', 'quarantine'])
      .default('deny')
      .describe('deny the action; also kill the offending process; or freeze the whole session'),
    files: z
      .object({
        denyRead: z.array(ProtectedPath).optional().describe('never readable'),
        allowWrite: z.array(PathPattern).optional().describe('the only places writable; absent: no limit'),
        denyWrite: z.array(ProtectedPath).optional().describe('never writable, even inside allowWrite'),
      })
      .strict()
      .default({}),
    exec: z
      .object({
        allow: z.array(PathPattern).optional().describe('the only programs that may run; absent: no limit'),
        deny: z.array(PathPattern).optional().describe('programs that may never run'),
      })
      .strict()
      .default({}),
    network: z
      .object({
        allow: z.array(NetTargetText).optional().describe('the only destinations reachable; absent: no limit'),
        deny: z.array(NetTargetText).optional().describe('destinations never reachable'),
        unix: z
          .object({
            allow: z
              .array(UnixPath)
              .default([])
              .describe('the pathname Unix sockets reachable besides the session’s own'),
          })
          .strict()
          .default({ allow: [] })
          .describe('Unix sockets outside the session (docker.sock, D-Bus, ssh-agent): refused unless listed'),
        listen: z
          .enum(['local', 'any'])
          .default('local')
          .describe(
            "who may reach the session's listeners: this machine only (binds to other hosts' interfaces refused), or any host",
          ),
      })
      .strict()
      .default({ unix: { allow: [] }, listen: 'local' }),
    tools: z
      .object({
        allow: z
          .array(ToolRuleSchema)
          .optional()
          .describe('the only tool calls allowed (by name, and by arguments where given); absent: no limit'),
        deny: z.array(ToolRuleSchema).optional().describe('tool calls never allowed'),
        checkActions: z
          .boolean()
          .default(true)
          .describe(
            'also judge what a call would do (files it names, programs it runs, hosts it names) by the files, exec ' +
              'and network rules, so a forbidden action is refused before it runs',
          ),
      })
      .strict()
      .default({ checkActions: true })
      .describe('agent tool calls (hooks, MCP): decided before they run'),
    secrets: z
      .object({
        outbound: z
          .enum(['alert', 'redact', 'block'])
          .default('redact')
          .describe('a secret in a request to a model provider: alert only, replace it, or refuse the request'),
      })
      .strict()
      .default({ outbound: 'redact' }),
    detections: z
      .object({
        actions: z
          .record(z.string(), z.enum(['alert', 'kill', 'quarantine']))
          .default({})
          .describe(
            'detector id (or a glob such as *) -> what its detections do: alert only (the default), kill the ' +
              'process behind the evidence, or quarantine (freeze) the session',
          ),
      })
      .strict()
      .default({ actions: {} })
      .describe('what Warden does when a detector fires (warden alerts lists them)'),
  })
  .strict();

export type Policy = z.infer<typeof PolicySchema>;

export function policyJsonSchema(): unknown {
  return z.toJSONSchema(PolicySchema, { io: 'input' });
}
