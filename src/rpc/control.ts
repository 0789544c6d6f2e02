/**
 * The daemon's control socket: how `warden run` and the daemon talk when the daemon hosts the
 * session. One connection is one session:
 *
 *   run -> daemon   open {token, command, policy, ...}   -> the launch spec
 *   run             starts warden-launch itself (its TTY and signals stay local)
 *   run -> daemon   started {pid}
 *   run -> daemon   exit {code, signal}                  -> {id, status}, once all is recorded
 *   daemon -> run   {event: 'quarantined', reason}       the session is held frozen
 *
 * A connection that closes before `exit` ends its session as failed (its
 * processes killed); a daemon that goes away leaves the run to freeze it.
 * Served by host/control-server.ts.
 */
import { constants } from 'node:os';
import { z } from 'zod';
import { ConfigSchema } from '../config.js';

export const OpenRequestSchema = z.object({
  token: z.string(),
  command: z.array(z.string()).min(1),
  name: z.string().optional(),
  agent: z.string().optional(),
  cwd: z.string(),
  /** the policy file; null: monitor only (Warden still protects itself) */
  policy: z.string().nullable(),
  /** what ${workspace} stands for in the policy, and where the agent works */
  workspace: z.string(),
  jsonEvents: z.string().optional(),
  keepLingering: z.boolean().optional(),
  /** the `warden run` process, protected like the daemon's own */
  clientPid: z.number().int(),
  /** the run's own upstreams: where the agent would have sent its model and DNS traffic */
  upstreams: z.object({ llm: ConfigSchema.shape.llmUpstreams, dns: ConfigSchema.shape.dnsUpstream }),
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
export const FinishedSchema = z.object({ id: z.string(), status: z.number().int() });
export const QuarantinedSchema = z.object({ event: z.literal('quarantined'), reason: z.string() });

export const CONTROL = {
  open: { params: OpenRequestSchema, result: LaunchSpecSchema },
  started: { params: StartedSchema, result: z.null() },
  exit: { params: ExitSchema, result: FinishedSchema },
};
export type ControlProtocol = typeof CONTROL;
