/** The daemon's control socket: `warden run` opens hosted sessions on the daemon's sensor host through it. */
import { timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:net';
import { controlSocket } from '../config.js';
import { compilePolicy } from '../policy/compile.js';
import { loadPolicy } from '../policy/load.js';
import { CONTROL } from '../rpc/control.js';
import { serve, type Peer } from '../rpc/server.js';
import type { SensorHost } from './sensor-host.js';
import type { SessionRun } from './session-run.js';

/**
 * The daemon's side of hosted sessions (see rpc/control.ts): each connection
 * on the control socket opens one session on `host`, whose agent the caller starts.
 */
export async function serveControl(host: SensorHost, token: string): Promise<Server> {
  const runs = new WeakMap<Peer, SessionRun>();
  const expected = Buffer.from(token);
  const opened = (peer: Peer): SessionRun => {
    const run = runs.get(peer);
    if (!run) throw new Error('no session on this connection: open one first');
    return run;
  };
  return serve(controlSocket(host.cfg), CONTROL, {
    open: async (req, peer) => {
      const run = runs.get(peer);
      const given = Buffer.from(req.token);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error('wrong token');
      if (run) throw new Error(`this connection already has session ${run.id}`);
      const cfg = Object.assign({}, host.cfg, { llmUpstreams: req.upstreams.llm, dnsUpstream: req.upstreams.dns });
      const policy = req.policy ? compilePolicy(loadPolicy(req.policy), { workspace: req.workspace }) : null;
      const next = host.session(cfg, {
        command: req.command,
        ...(req.name ? { name: req.name } : {}),
        ...(req.agent ? { agent: req.agent } : {}),
        cwd: req.cwd,
        ...(req.jsonEvents ? { jsonEvents: req.jsonEvents } : {}),
        keepLingering: req.keepLingering === true,
        enforcement: { policy, workspace: req.workspace },
        clientPid: req.clientPid,
      });
      runs.set(peer, next);
      /* whatever happens to the caller, the session ends here: a connection gone while
       * the agent runs means its warden run died, and its processes are killed; gone
       * once the agent exited, the session's recording is finished first */
      peer.onClose(
        () => void (next.finishing ?? Promise.resolve()).catch(() => undefined).finally(() => next.cleanup()),
      );
      void next.held.then((reason) => {
        if (next.outcome !== 'pending') return;
        next.quarantine();
        peer.push({ event: 'quarantined', reason });
      });
      try {
        return await next.open();
      } catch (e) {
        await next.cleanup();
        throw e;
      }
    },
    started: ({ pid }, peer) => {
      opened(peer).started(pid);
      return null;
    },
    exit: async (exit, peer) => {
      const run = opened(peer);
      if (run.outcome !== 'pending') throw new Error(`session ${run.id} is already ${run.outcome}`);
      run.finishing = run.finish(exit);
      const { session, status } = await run.finishing;
      return { id: session.id, status };
    },
  });
}
