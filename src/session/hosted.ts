/**
 * `warden run` when a daemon runs: the daemon hosts the session (its cgroup,
 * policy, sensor, proxy and records) and this process starts the agent, so the
 * terminal and signals stay the user's. See control.ts for the conversation.
 */
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { agentEnvironment, runEnvironment, tokenFile, type Config } from '../config.js';
import { QUARANTINED_STATUS, quarantineNotice, SignalRelay, startAgent } from './agent.js';
import { freezeCgroup } from '../enforce/cgroup.js';
import { CONTROL, QuarantinedSchema, type ControlProtocol, type Exit, type OpenRequest } from '../rpc/control.js';
import { RpcClient } from '../rpc/client.js';
import type { DaemonInfo } from './daemon-record.js';
import { freezeSession } from './operator.js';
import { useStore } from './reconcile.js';

export type HostedRequest = Omit<OpenRequest, 'token' | 'clientPid' | 'cwd' | 'env'>;

export interface HostedResult {
  id: string;
  /** what the shell would see: the code, or 128 + the signal; 125: left quarantined */
  status: number;
}

/** Long enough for the end of a big session (every event stored, its review); the daemon answers sooner. */
const CALL_TIMEOUT_MS = 10 * 60 * 1000;
/** How long, once the agent has ended, `warden run` waits for the daemon to record the end before it returns. */
const RECORD_WAIT_MS = 15_000;

function daemonToken(cfg: Config): string {
  try {
    return readFileSync(tokenFile(cfg), 'utf8').trim();
  } catch (e) {
    throw new Error(`cannot read the daemon's token: ${(e as Error).message}`);
  }
}

/** The agent has ended: the daemon records it, and the user is kept no longer than RECORD_WAIT_MS for that. */
async function recordEnd(client: RpcClient<ControlProtocol>, id: string, exit: Exit): Promise<HostedResult> {
  const recorded = client.call('exit', exit).catch((e: Error) => {
    throw new Error(`the warden daemon did not record the end of session ${id}: ${e.message}`);
  });
  /* the agent has ended; its recording may lag behind a backlog: the daemon finishes it, the user is not kept */
  const waited = await Promise.race([recorded, sleep(RECORD_WAIT_MS, undefined, { ref: false })]);
  if (waited) return waited;
  recorded.catch(() => undefined);
  process.stderr.write(
    `warden: session ${id} has ended; the daemon is still recording its events (warden sessions shows when it is done)\n`,
  );
  const { code, signal } = exit;
  return { id, status: code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0) };
}

/** The daemon is gone, and with it the session's monitor: the agent never goes on unwatched. */
function daemonGone(cfg: Config, id: string, cgroup: string): string {
  freezeCgroup(cgroup, true); /* at once; the record follows */
  useStore(cfg.stateDir, (store) => freezeSession(store, id, { unwatched: true }));
  return 'the warden daemon went away: the session would go on unwatched';
}

export async function runHosted(
  cfg: Config,
  daemon: DaemonInfo,
  request: HostedRequest,
  verbose?: boolean,
): Promise<HostedResult> {
  const relay = new SignalRelay(process.stdin.isTTY === true); /* first: an early signal aborts cleanly */
  let quarantined: (reason: string) => void = () => undefined;
  const held = new Promise<string>((resolve) => (quarantined = resolve));
  let ended = false;
  let lost: () => void = () => undefined;
  const gone = new Promise<void>((resolve) => (lost = resolve));
  const client = new RpcClient(CONTROL, daemon.control, CALL_TIMEOUT_MS, {
    ref: true,
    push: (m) => {
      const q = QuarantinedSchema.safeParse(m);
      if (q.success) quarantined(q.data.reason);
    },
    closed: () => !ended && lost(),
  });
  try {
    const token = daemonToken(cfg);
    const spec = await client
      .call('open', {
        ...request,
        token,
        cwd: process.cwd(),
        clientPid: process.pid,
        env: runEnvironment(),
      } satisfies OpenRequest)
      .catch((e: Error) => {
        throw new Error(`the warden daemon (pid ${daemon.pid}) did not open the session: ${e.message}`);
      });
    if (verbose)
      process.stderr.write(`warden: session ${spec.id} is hosted by the warden daemon (pid ${daemon.pid})\n`);
    if (spec.note && verbose !== false) process.stderr.write(`warden: ${spec.note}\n`);
    const cgroup = { path: spec.cgroup.path, id: BigInt(spec.cgroup.id), level: spec.cgroup.level };
    const agent = startAgent(cfg, cgroup, spec.command, relay, {
      ...(spec.floor ? { floor: spec.floor } : {}),
      env: agentEnvironment(spec.env),
    });
    const pid = agent.child.pid;
    if (pid === undefined) throw new Error(`the agent did not start: ${spec.command[0] ?? ''}`);
    await client.call('started', { pid });
    const first = await Promise.race([
      agent.done.then((exit) => ({ exit })),
      held.then((reason) => ({ reason })),
      gone.then(() => ({ gone: true as const })),
    ]).finally(() => relay.release());
    if ('exit' in first) return await recordEnd(client, spec.id, first.exit);
    agent.child.unref(); /* frozen, not ours to wait for any more */
    const reason = 'reason' in first ? first.reason : daemonGone(cfg, spec.id, cgroup.path);
    process.stderr.write(quarantineNotice(spec.id, reason));
    return { id: spec.id, status: QUARANTINED_STATUS };
  } finally {
    ended = true;
    relay.release();
    client.close();
  }
}
