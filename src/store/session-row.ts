/** A session as the sessions table holds it: its row read back, and the columns an update may set. */
import { SessionSchema, type Session } from '../model/session.js';

export type Row = Record<string, unknown>;

export function sessionFromRow(r: Row): Session {
  return SessionSchema.parse({
    id: r.id,
    name: r.name,
    command: JSON.parse(String(r.command)),
    cwd: r.cwd,
    cgroup: r.cgroup,
    cgroupId: r.cgroup_id,
    status: r.status,
    startedUs: r.started_us,
    endedUs: r.ended_us,
    exitCode: r.exit_code,
    exitSignal: r.exit_signal,
    rootPid: r.root_pid,
    events: r.events,
    lost: r.lost,
    lingering: r.lingering ? JSON.parse(String(r.lingering)) : null,
    policy: (r.policy as string | null) ?? null,
    agent: (r.agent as string | null) ?? null,
    owner: (r.owner as string | null) ?? null,
    proxyPort: (r.proxy_port as number | null) ?? null,
    mechanisms: r.mechanisms ? JSON.parse(String(r.mechanisms)) : null,
  });
}

/** Session fields an update may change, by their column */
export const UPDATABLE: Record<string, string> = {
  status: 'status',
  endedUs: 'ended_us',
  exitCode: 'exit_code',
  exitSignal: 'exit_signal',
  rootPid: 'root_pid',
  lost: 'lost',
  lingering: 'lingering',
  policy: 'policy',
  mechanisms: 'mechanisms',
  owner: 'owner',
};
