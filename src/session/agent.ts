/**
 * The agent's process: started through warden-launch inside its session
 * cgroup, signals relayed to it, and what is left of it described.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import type { SessionCgroup } from './cgroup.js';

const FORWARDED = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGCONT', 'SIGWINCH'] as const;
/* Signals a terminal already delivers to the whole foreground group, the agent included. */
const TTY_DELIVERED = new Set(['SIGINT', 'SIGQUIT', 'SIGWINCH']);

export function describePid(pid: number): { comm: string; argv: string[] } {
  try {
    return {
      comm: readFileSync(`/proc/${pid}/comm`, 'utf8').trim(),
      argv: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean),
    };
  } catch {
    return { comm: '?', argv: [] };
  }
}

/** What `warden run` returns when it leaves its session frozen (like timeout's 124). */
export const QUARANTINED_STATUS = 125;

/** What the user is told when `warden run` leaves its session frozen. */
export function quarantineNotice(id: string, reason: string): string {
  return (
    `warden: session ${id} is quarantined (frozen): ${reason}.\n` +
    `  It stays frozen, its network limits in force. Resume: warden session release ${id}   End: warden session kill ${id}\n`
  );
}

/** A signal arrived before the agent started: the session was not run. */
export class SessionAborted extends Error {
  override name = 'SessionAborted';
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal} before the command started`);
  }
}

/**
 * Relays signals to the agent. Installed before any set-up, so a signal that
 * arrives early aborts the session cleanly instead of killing Warden mid-way.
 */
export class SignalRelay {
  private child: ChildProcess | undefined;
  pending: NodeJS.Signals | undefined;
  private readonly handlers = new Map<NodeJS.Signals, () => void>();

  constructor(tty: boolean) {
    for (const sig of FORWARDED) {
      const h = (): void => {
        if (!this.child) this.pending ??= sig;
        else if (!(tty && TTY_DELIVERED.has(sig))) this.child.kill(sig);
      };
      this.handlers.set(sig, h);
      process.on(sig, h);
    }
  }

  attach(child: ChildProcess): void {
    this.child = child;
  }

  release(): void {
    for (const [sig, h] of this.handlers) process.off(sig, h);
  }
}

/** Starts CMD inside the session cgroup: warden-launch joins it, applies the floor, then execs CMD. */
export function startAgent(
  cfg: Config,
  cg: SessionCgroup,
  command: string[],
  relay: SignalRelay,
  opts: { floor?: string; env?: NodeJS.ProcessEnv; stdio?: 'inherit' | 'pipe' } = {},
) {
  const floor = opts.floor;
  const [cmd, ...args] = command;
  if (!cmd) throw new Error('no command to run');
  if (relay.pending) throw new SessionAborted(relay.pending);
  const launchArgs = [...(floor ? ['--floor', floor] : []), cg.path, cmd, ...args];
  const child = spawn(cfg.launchBin, launchArgs, {
    stdio: opts.stdio === 'pipe' ? ['pipe', 'pipe', 'inherit'] : 'inherit',
    env: opts.env /* undefined: this process's own */,
  });
  relay.attach(child);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, done };
}
