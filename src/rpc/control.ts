/**
 * The daemon's control socket: how `warden run` and the daemon talk when the daemon hosts the
 * session. One connection is one session:
 *
 *   run -> daemon   open {token, command, policy, ...}   -> the launch spec
 *   run             starts warden-launch itself (its TTY and signals stay local)
 *   run -> daemon   started {pid}
 *   run -> daemon   exit {code, signal}                  -> {id, status, warnings}, once all is recorded
 *   daemon -> run   {event: 'quarantined', reason}       the session is held frozen
 *
 * and, on a connection of its own, `hook` {token, input, ...} -> {decision}: the native hook
 * outside any session, decided under the policy file as the JavaScript hook would.
 *
 * A connection that closes before `exit` ends its session as failed (its
 * processes killed); a daemon that goes away leaves the run to freeze it.
 * Served by host/control-server.ts; spoken by sensor/run (the native client
 * bin/warden starts) and session/hosted.ts (for what that one hands back).
 */
import { constants } from 'node:os';
import { z } from 'zod';
import { ToolDecisionSchema } from '../model/records.js';
import { HookInputSchema } from './app.js';

/** Relative paths in it are the run's: the daemon takes them from `cwd`. */
export const OpenRequestSchema = z.object({
  token: z.string(),
  command: z.array(z.string()).min(1),
  name: z.string().optional(),
  agent: z.string().optional(),
  /** the run's working directory, the agent's too */
  cwd: z.string(),
  /** a policy file or built-in name; null: monitor only (Warden still protects itself); absent: the default */
  policy: z.string().nullable().optional(),
  /** what ${workspace} stands for in the policy */
  workspace: z.string(),
  jsonEvents: z.string().optional(),
  keepLingering: z.boolean().optional(),
  /** the `warden run` process, protected like the daemon's own */
  clientPid: z.number().int(),
  /** the run's environment: where the agent would have sent its model and DNS traffic (config-env's upstreamsOf) */
  env: z.record(z.string(), z.string()),
});
export type OpenRequest = z.infer<typeof OpenRequestSchema>;

/** What the run needs to start the agent in its session. */
export const LaunchSpecSchema = z.object({
  id: z.string(),
  cgroup: z.object({ path: z.string(), id: z.string(), level: z.number().int() }),
  /** the command as it runs (through the LLM proxy where the agent needs a flag for that) */
  command: z.array(z.string()),
  /** the launch floor file; absent: no floor */
  floor: z.string().optional(),
  /** added to the agent's environment */
  env: z.record(z.string(), z.string()),
  note: z.string().optional(),
});
export type LaunchSpec = z.infer<typeof LaunchSpecSchema>;

export const StartedSchema = z.object({ pid: z.number().int() });
const SignalName = z.custom<NodeJS.Signals>((v) => typeof v === 'string' && v in constants.signals, 'a signal name');
export const ExitSchema = z.object({ code: z.number().int().nullable(), signal: SignalName.nullable() });
/** How the agent ended: its exit code, or the signal that ended it. */
export type Exit = z.infer<typeof ExitSchema>;
export const FinishedSchema = z.object({
  id: z.string(),
  status: z.number().int(),
  /** what the summary must show even to a quiet run: events lost, processes that outlived the agent */
  warnings: z.number().int(),
});
export const QuarantinedSchema = z.object({ event: z.literal('quarantined'), reason: z.string() });

/** `hook`: a tool call's hook outside any session (the native hook asks), decided under a policy file. */
export const DaemonHookSchema = z.object({
  token: z.string(),
  /** the hook's --policy (a file relative to cwd, or a built-in name); absent: the default */
  policy: z.string().optional(),
  /** the hook's working directory */
  cwd: z.string(),
  input: HookInputSchema,
});

export const CONTROL = {
  open: { params: OpenRequestSchema, result: LaunchSpecSchema },
  started: { params: StartedSchema, result: z.null() },
  exit: { params: ExitSchema, result: FinishedSchema },
  hook: { params: DaemonHookSchema, result: z.object({ decision: ToolDecisionSchema.nullable() }) },
};
export type ControlProtocol = typeof CONTROL;
