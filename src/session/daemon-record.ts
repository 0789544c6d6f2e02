/**
 * The daemon's record: where a `warden run` finds the daemon that can host its session (the
 * conversation on its control socket is rpc/control.ts).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { daemonInfoFile, type Config } from '../config.js';

export const DaemonInfoSchema = z.object({
  pid: z.number().int(),
  url: z.string().describe('the API on loopback'),
  socket: z.string().describe('the API on a Unix socket'),
  control: z.string().describe('where `warden run` asks the daemon to host its session'),
  tokenFile: z.string(),
  startedUs: z.number().int(),
});
export type DaemonInfo = z.infer<typeof DaemonInfoSchema>;

/** The running daemon, if its record is there and its process alive. */
export function runningDaemon(cfg: Config): DaemonInfo | undefined {
  try {
    const info = DaemonInfoSchema.parse(JSON.parse(readFileSync(daemonInfoFile(cfg), 'utf8')));
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}
