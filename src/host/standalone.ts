/** `warden run` standalone: a sensor host of its own for one session, the agent started here. */
import type { ChildProcess } from 'node:child_process';
import { agentEnvironment, runEnvironment, type Config } from '../config.js';
import type { AppLayerService } from '../applayer/service.js';
import { quarantineNotice, SignalRelay, startAgent } from '../session/agent.js';
import type { Store } from '../store/store.js';
import type { Session } from '../model/session.js';
import { SensorHost } from './sensor-host.js';
import type { RunResult, SessionOptions } from './session-options.js';

export { SessionAborted } from '../session/agent.js';

export interface RunOptions extends Omit<SessionOptions, 'cwd' | 'clientPid'> {
  /** the command's stdin/stdout are pipes handed to `onStart` (the MCP proxy); default: inherited */
  stdio?: 'inherit' | 'pipe';
  /** called once the command has started */
  onStart?: (child: ChildProcess, app: AppLayerService) => void;
  /** called once the session is stored and its cgroup is gone */
  onEnd?: (session: Session, store: Store) => void;
}

export async function runSession(cfg: Config, opts: RunOptions): Promise<RunResult> {
  const relay = new SignalRelay(process.stdin.isTTY === true); /* first: an early signal aborts cleanly */
  const host = new SensorHost(cfg, opts.verbose);
  try {
    await host.start();
    const run = host.session(cfg, Object.assign({ cwd: process.cwd(), env: runEnvironment() }, opts));
    try {
      const spec = await run.open();
      if (spec.note && opts.verbose !== false) process.stderr.write(`warden: ${spec.note}\n`);
      const agent = startAgent(cfg, run.cg, spec.command, relay, {
        ...(spec.floor ? { floor: spec.floor } : {}),
        env: agentEnvironment(spec.env),
        stdio: opts.stdio ?? 'inherit',
      });
      run.started(agent.child.pid);
      opts.onStart?.(agent.child, run.app);
      const first = await Promise.race([
        agent.done.then((exit) => ({ exit })),
        run.held.then((reason) => ({ reason })),
      ]).finally(() => relay.release());
      let result: RunResult;
      if ('reason' in first) {
        agent.child.unref(); /* frozen, not ours to wait for any more */
        result = run.quarantine();
        process.stderr.write(quarantineNotice(run.id, first.reason));
      } else {
        /* a backlog can take a while to record: say so, so that a wait is never taken for a hang */
        const notice = setTimeout(
          () =>
            process.stderr.write(
              'warden: the command has ended; recording its last events (SIGTERM again stops now, and loses them)\n',
            ),
          3000,
        );
        notice.unref();
        result = await run.finish(first.exit).finally(() => clearTimeout(notice));
      }
      opts.onEnd?.(result.session, host.store);
      return result;
    } finally {
      await run.cleanup();
    }
  } finally {
    relay.release();
    host.close();
  }
}
