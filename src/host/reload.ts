/**
 * `warden policy reload`: a request on the session's own control socket (rpc/session.ts), answered
 * once the new policy is in force, or refused with the old one kept.
 */
import type { Server } from 'node:net';
import { sessionSocket, type Config } from '../config.js';
import { PolicyError } from '../policy/load.js';
import { RpcClient } from '../rpc/client.js';
import { serve } from '../rpc/server.js';
import { SESSION, type ReloadAnswer } from '../rpc/session.js';

/**
 * Serves the session's control socket; `apply` puts the named policy in force and says what it
 * noted, or throws to keep the policy in force.
 */
export function serveSessionControl(
  cfg: Config,
  sessionId: string,
  apply: (file: string, workspace: string) => Promise<{ name: string; mode: string; notes: string[] }>,
): Promise<Server> {
  return serve(sessionSocket(cfg, sessionId), SESSION, {
    reload: async ({ file, workspace }): Promise<ReloadAnswer> => {
      try {
        const next = await apply(file, workspace);
        return { ok: true, message: `policy "${next.name}" (${next.mode}) in force`, notes: next.notes };
      } catch (e) {
        const problems = e instanceof PolicyError ? e.problems.join('\n') : (e as Error).message;
        return { ok: false, message: `kept the policy in force; the new one was refused:\n${problems}`, notes: [] };
      }
    },
  });
}

/** Hands a reload request to a running session and returns its answer. */
export async function requestReload(
  cfg: Config,
  sessionId: string,
  file: string,
  workspace: string,
  timeoutMs = 10000,
): Promise<ReloadAnswer> {
  const client = new RpcClient(SESSION, sessionSocket(cfg, sessionId), timeoutMs);
  try {
    return await client.call('reload', { file, workspace });
  } catch (e) {
    throw new Error(`session ${sessionId} did not answer (${(e as Error).message}): is its warden run still running?`);
  } finally {
    client.close();
  }
}
