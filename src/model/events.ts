/**
 * The event schema: what every consumer (store, CLI, exporters) sees. Zod is
 * the source of truth; TypeScript types are inferred from it.
 */
import { z } from 'zod';

const Result = {
  result: z.number().int().describe('syscall result: >= 0 success (fd, bytes), < 0 is -errno'),
  error: z.string().optional().describe('errno name when result < 0, e.g. ENOENT'),
  syscall: z.string().describe('the syscall that produced the event, e.g. openat'),
};

export const CommonSchema = z.object({
  id: z.number().int().optional().describe('store id, unique on this host'),
  sessionId: z.string().describe('session the acting process belongs to'),
  time: z.string().describe('wall-clock time, ISO 8601'),
  timeUs: z.number().int().describe('wall-clock time, microseconds since the epoch'),
  pid: z.number().int().describe('process id (thread-group id)'),
  tid: z.number().int().describe('thread id'),
  ppid: z.number().int().describe('parent process id'),
  uid: z.number().int(),
  gid: z.number().int(),
  comm: z.string().describe('task name (16 bytes at most)'),
  exe: z.string().describe('executable of the acting process image'),
  execId: z.string().describe('stable unique id of the acting process image'),
  parentExecId: z.string().nullable().describe('execId of the image that created this one'),
  decision: z
    .object({
      verdict: z.enum(['allowed', 'denied', 'would-deny']),
      rule: z.string().describe('the policy rule that decided, e.g. files.denyRead[0]'),
      mechanism: z
        .string()
        .describe('what enforced it: landlock, seccomp, cgroup-sock-addr, fanotify, bpf-lsm; audit; or unenforced'),
      reason: z.string(),
      policy: z.string().describe('policy name'),
      latencyUs: z
        .number()
        .optional()
        .describe('how long the deciding mechanism took, where it reports it (the file gate)'),
    })
    .optional()
    .describe('present when a policy rule speaks to this action'),
  toolCallId: z.string().optional().describe('the agent tool call that caused this action'),
  attribution: z
    .enum(['tool-call', 'agent-runtime', 'undeclared'])
    .optional()
    .describe(
      "in an agent session: caused by a tool call, the agent program's own housekeeping, or nothing the agent declared",
    ),
});
export type Decision = NonNullable<z.infer<typeof CommonSchema>['decision']>;

const ev = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  CommonSchema.extend({ type: z.literal(type), ...shape });

const Path = z.string().describe('absolute path; relative paths resolved against cwd or dirfd');
const Addr = {
  family: z.enum(['ipv4', 'ipv6', 'unix', 'other']),
  protocol: z.string().describe('tcp, udp, or the protocol number'),
};

export const ExecEventSchema = ev('exec', {
  argv: z.array(z.string()).describe('argument vector, bounded to 4 KiB'),
  argc: z.number().int(),
  argvTruncated: z.boolean(),
  cwd: Path,
});
export const ForkEventSchema = ev('fork', {
  childPid: z.number().int(),
  childExecId: z.string(),
});
export const ExitEventSchema = ev('exit', {
  code: z.number().int().nullable().describe('exit code, null when killed by a signal'),
  signal: z.number().int().nullable().describe('terminating signal'),
});
export const OpenEventSchema = ev('open', {
  path: Path.describe('the file opened (symlinks resolved) or, on failure, the path asked for'),
  requestedPath: z.string().optional().describe('the path as asked, when it differs from path'),
  flags: z.number().int(),
  flagNames: z.array(z.string()),
  mode: z.number().int(),
  ...Result,
});
export const UnlinkEventSchema = ev('unlink', { path: Path, dir: z.boolean(), ...Result });
export const RenameEventSchema = ev('rename', { path: Path, newPath: Path, flags: z.number().int(), ...Result });
export const MkdirEventSchema = ev('mkdir', { path: Path, mode: z.number().int(), ...Result });
export const LinkEventSchema = ev('link', { path: Path.describe('the existing file'), newPath: Path, ...Result });
export const SymlinkEventSchema = ev('symlink', {
  target: z.string().describe("the link's text, as written"),
  path: Path.describe('the new link'),
  ...Result,
});
export const MknodEventSchema = ev('mknod', { path: Path, mode: z.number().int(), ...Result });
export const ChmodEventSchema = ev('chmod', { path: Path, mode: z.number().int(), ...Result });
export const TruncateEventSchema = ev('truncate', { path: Path, length: z.number(), ...Result });
export const ExecFailedEventSchema = ev('exec-failed', {
  path: Path.describe('the program asked for'),
  ...Result,
});

const Remote = { daddr: z.string(), dport: z.number().int() };
const Local = { laddr: z.string(), lport: z.number().int() };
export const ConnectEventSchema = ev('connect', { ...Addr, ...Remote, ...Result });
export const SendEventSchema = ev('send', {
  ...Addr,
  ...Remote,
  bytes: z.number().int().describe('bytes asked to send'),
  ...Result,
});
export const BindEventSchema = ev('bind', { ...Addr, ...Local, ...Result });
export const ListenEventSchema = ev('listen', { ...Addr, ...Local, backlog: z.number().int(), ...Result });
export const AcceptEventSchema = ev('accept', { ...Addr, ...Remote, ...Local, ...Result });
export const KillEventSchema = ev('kill', {
  target: z.number().int().describe('pid/tid named; <= 0 addresses a process group'),
  signal: z.number().int(),
  targetInSession: z
    .boolean()
    .optional()
    .describe("the target was one of the session's own processes or threads when the signal was sent"),
  ...Result,
});
export const PtraceEventSchema = ev('ptrace', { target: z.number().int(), request: z.number().int(), ...Result });
export const SetuidEventSchema = ev('setuid', {
  ids: z.array(z.number().int()).describe('uid/gid arguments; -1 leaves one unchanged'),
  ...Result,
});
export const DnsEventSchema = ev('dns', {
  name: z.string().describe('the name asked for'),
  qtype: z.string().describe('A, AAAA, TXT, ...'),
  answers: z.array(z.string()).describe('addresses in the answer'),
  rcode: z.string().describe('NOERROR, NXDOMAIN (also what a name the policy refuses is answered), SERVFAIL, ...'),
  transport: z.enum(['udp', 'tcp']),
});
export const ActionEventSchema = ev('action', {
  action: z.enum(['kill', 'quarantine']).describe('what Warden did about a violation'),
  targetPid: z.number().int(),
  trigger: z.string().describe('the rule that was violated'),
  triggerTimeUs: z.number().int().describe('when the violating event happened'),
  latencyUs: z.number().int().describe('from the violating event to the action done'),
  result: z.string().describe('ok, or why it failed'),
});
export const CapsetEventSchema = ev('capset', {
  effective: z.string().describe('capability mask, hex'),
  permitted: z.string(),
  inheritable: z.string(),
  ...Result,
});

export const EventSchema = z.discriminatedUnion('type', [
  ExecEventSchema,
  ForkEventSchema,
  ExitEventSchema,
  OpenEventSchema,
  UnlinkEventSchema,
  RenameEventSchema,
  MkdirEventSchema,
  LinkEventSchema,
  SymlinkEventSchema,
  MknodEventSchema,
  ChmodEventSchema,
  TruncateEventSchema,
  ExecFailedEventSchema,
  ConnectEventSchema,
  SendEventSchema,
  BindEventSchema,
  ListenEventSchema,
  AcceptEventSchema,
  KillEventSchema,
  PtraceEventSchema,
  SetuidEventSchema,
  CapsetEventSchema,
  ActionEventSchema,
  DnsEventSchema,
]);
export type WardenEvent = z.infer<typeof EventSchema>;
export type EventType = WardenEvent['type'];
export const EVENT_TYPES = EventSchema.options.map((o) => o.shape.type.value) as EventType[];

/** One process image: created by fork or exec, ended by exit or by its next exec. */
export const ProcessSchema = z.object({
  execId: z.string(),
  sessionId: z.string().nullable(),
  pid: z.number().int(),
  ppid: z.number().int(),
  parentExecId: z.string().nullable(),
  origin: z.enum(['exec', 'fork', 'proc']).describe('how Warden learnt of it; proc = seeded from /proc'),
  comm: z.string(),
  exe: z.string(),
  argv: z.array(z.string()),
  cwd: z.string(),
  uid: z.number().int(),
  startUs: z.number().int(),
  endUs: z.number().int().nullable(),
  exitCode: z.number().int().nullable(),
  exitSignal: z.number().int().nullable(),
});
export type ProcessRecord = z.infer<typeof ProcessSchema>;
