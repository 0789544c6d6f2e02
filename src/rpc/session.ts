/**
 * A session's own control socket, beside its application-layer one but never reachable by the
 * agent (it is bound before the launch floor masks the sockets outside the session, and the
 * kernel refuses a connect to it): `warden policy reload` asks the session to swap its policy.
 * Served by host/session-run.ts.
 */
import { z } from 'zod';

export const ReloadAnswerSchema = z.object({
  ok: z.boolean(),
  message: z.string(),
  notes: z.array(z.string()).describe('what the new policy could not change in the running session'),
});
export type ReloadAnswer = z.infer<typeof ReloadAnswerSchema>;

export const SESSION = {
  reload: {
    params: z.object({
      file: z.string().describe('the policy file'),
      workspace: z.string().describe('what ${workspace} stands for in it'),
    }),
    result: ReloadAnswerSchema,
  },
};
export type SessionProtocol = typeof SESSION;
