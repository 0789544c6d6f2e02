/** A recorded session: what ran, where, how it ended, what enforced it. */
import { z } from 'zod';

export const SessionSchema = z.object({
  id: z.string(),
  name: z.string(),
  command: z.array(z.string()),
  cwd: z.string(),
  cgroup: z.string(),
  cgroupId: z.string(),
  status: z.enum(['running', 'ended', 'failed', 'quarantined']),
  startedUs: z.number().int(),
  endedUs: z.number().int().nullable(),
  exitCode: z.number().int().nullable(),
  exitSignal: z.number().int().nullable(),
  rootPid: z.number().int().nullable(),
  events: z.number().int(),
  lost: z.number().int().describe('events lost in the kernel (ring buffer full) while it ran'),
  policy: z.string().nullable().describe('policy name; null: monitor only'),
  mechanisms: z
    .object({ active: z.array(z.string()), unavailable: z.array(z.string()) })
    .nullable()
    .describe('what enforced the session, and what this kernel refused'),
  agent: z.string().nullable().describe('the agent role the session ran as; baselines are learnt per agent'),
  owner: z
    .string()
    .nullable()
    .describe('the process that keeps the session (boot/pid/start); null: none does (released unwatched)'),
  proxyPort: z.number().int().nullable().describe("the loopback port of the session's LLM proxy"),
  lingering: z
    .array(z.object({ pid: z.number().int(), comm: z.string(), argv: z.array(z.string()), action: z.string() }))
    .nullable(),
});
export type Session = z.infer<typeof SessionSchema>;

/** What a session's summary shows even to a quiet `warden run`: lost events, processes that outlived it. */
export const sessionWarnings = (s: Session): number => (s.lost > 0 ? 1 : 0) + (s.lingering?.length ?? 0);
