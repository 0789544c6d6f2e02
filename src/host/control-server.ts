/** The daemon's control socket: `warden run` opens hosted sessions on the daemon's sensor host through it. */
import { timingSafeEqual } from 'node:crypto';
import { statSync } from 'node:fs';
import { compileFresh, decideHookCall } from '../applayer/hook-policy.js';
import type { Server } from 'node:net';
import { resolve } from 'node:path';
import { ConfigSchema, controlSocket } from '../config.js';
import { upstreamsOf } from '../config-env.js';
import { DEFAULT_POLICY, policyPath } from '../policy/builtin.js';
import type { CompiledPolicy } from '../policy/compile.js';
import { CONTROL } from '../rpc/control.js';
import { serve, type Peer } from '../rpc/server.js';
import { sessionWarnings } from '../model/session.js';
import type { SensorHost } from './sensor-host.js';
import type { SessionRun } from './session-run.js';

/** The policies hooks outside sessions name, compiled once while their file stays the same. */
class PolicyCache {
  private readonly kept = new Map<string, { mtimeMs: number; policy: CompiledPolicy }>();
  readonly get = (file: string, workspace: string): CompiledPolicy => {
    const key = `${file}\0${workspace}`;
    const mtimeMs = statSync(file).mtimeMs;
    const hit = this.kept.get(key);
    if (hit?.mtimeMs === mtimeMs) return hit.policy;
    const policy = compileFresh(file, workspace);
    if (this.kept.size >= 64) this.kept.clear();
    this.kept.set(key, { mtimeMs, policy });
    return policy;
  };
}

/**
 * The daemon's side of hosted sessions (see rpc/control.ts): each connection
 * on the control socket opens one session on `host`, whose agent the caller starts.
 */
export async function serveControl(host: SensorHost, token: string): Promise<Server> {
  const runs = new WeakMap<Peer, SessionRun>();
  const expected = Buffer.from(token);
  const checkToken = (given: string): void => {
    const g = Buffer.from(given);
    if (g.length !== expected.length || !timingSafeEqual(g, expected)) throw new Error('wrong token');
  };
  const policies = new PolicyCache();
  const opened = (peer: Peer): SessionRun => {
    const run = runs.get(peer);
    if (!run) throw new Error('no session on this connection: open one first');
    return run;
  };
  return serve(controlSocket(host.cfg), CONTROL, {
    open: async (req, peer) => {
      const run = runs.get(peer);
      checkToken(req.token);
      if (run) throw new Error(`this connection already has session ${run.id}`);
      const { llmUpstreams, dnsUpstream } = ConfigSchema.pick({ llmUpstreams: true, dnsUpstream: true }).parse(
        upstreamsOf(req.env),
      );
      const cfg = Object.assign({}, host.cfg, { llmUpstreams, dnsUpstream });
      const workspace = resolve(req.cwd, req.workspace);
      const file = req.policy === null ? null : policyPath(host.cfg.root, req.policy ?? DEFAULT_POLICY, req.cwd);
      const policy = file ? compileFresh(file, workspace) : null;
      const next = host.session(cfg, {
        command: req.command,
        ...(req.name ? { name: req.name } : {}),
        ...(req.agent ? { agent: req.agent } : {}),
        cwd: req.cwd,
        ...(req.jsonEvents ? { jsonEvents: resolve(req.cwd, req.jsonEvents) } : {}),
        keepLingering: req.keepLingering === true,
        enforcement: { policy, workspace },
        clientPid: req.clientPid,
        env: req.env,
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
    hook: (req) => {
      checkToken(req.token);
      const by = 'warden-daemon (outside any session)';
      return {
        decision: decideHookCall(req.input, {
          root: host.cfg.root,
          policyArg: req.policy,
          cwd: req.cwd,
          by,
          policyFor: policies.get,
        }),
      };
    },
    exit: async (exit, peer) => {
      const run = opened(peer);
      if (run.outcome !== 'pending') throw new Error(`session ${run.id} is already ${run.outcome}`);
      run.finishing = run.finish(exit);
      const { session, status } = await run.finishing;
      return { id: session.id, status, warnings: sessionWarnings(session) };
    },
  });
}
