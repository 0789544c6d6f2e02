/**
 * The agent's process: started through warden-launch inside its session
 * cgroup, signals relayed to it, and what is left of it described.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import type { SessionCgroup } from '../enforce/cgroup.js';

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

/** How long the agent has to end after a SIGTERM (or SIGHUP, or SIGINT without a terminal) before Warden ends it. */
export const END_GRACE_MS = 10_000;
/* On a terminal SIGINT is the agent's (an interactive agent cancels a turn): this many, close together, end it. */
const TTY_INTERRUPTS = 3;
const TTY_INTERRUPT_WINDOW_MS = 3_000;
const ENDING = new Set(['SIGTERM', 'SIGHUP', 'SIGINT']);
const DUPLICATE_MS = 500;

/**
 * Relays signals to the agent. Installed before any set-up, so a signal that
 * arrives early aborts the session cleanly instead of killing Warden mid-way.
 * A signal that asks the run to end always ends it in a bounded time: the
 * agent gets END_GRACE_MS to exit on its own, and a second such signal (on a
 * terminal, a third SIGINT in a row) ends it at once. Ending it is cgroup.kill
 * of the session, which reaches frozen processes and ones waiting in the kernel.
 */
export class SignalRelay {
  private child: ChildProcess | undefined;
  private cgroup: string | undefined;
  pending: NodeJS.Signals | undefined;
  private readonly handlers = new Map<NodeJS.Signals, () => void>();
  private askedAt: number | undefined;
  private interrupts: number[] = [];
  private grace: NodeJS.Timeout | undefined;
  /* set once Warden ended the session itself */
  private forced = false;

  constructor(private readonly tty: boolean) {
    for (const sig of FORWARDED) {
      const h = (): void => this.on(sig);
      this.handlers.set(sig, h);
      process.on(sig, h);
    }
  }

  private on(sig: NodeJS.Signals): void {
    if (!this.child) {
      this.pending ??= sig;
      return;
    }
    if (!(this.tty && TTY_DELIVERED.has(sig))) this.child.kill(sig);
    if (!ENDING.has(sig)) return;
    if (this.tty && sig === 'SIGINT') {
      const now = Date.now();
      this.interrupts = [...this.interrupts.filter((t) => now - t < TTY_INTERRUPT_WINDOW_MS), now];
      if (this.interrupts.length >= TTY_INTERRUPTS) this.end(`${TTY_INTERRUPTS} interrupts`);
      return;
    }
    /* `timeout` and a terminal's process group deliver one request twice at once: a second
     * request is one that comes at least DUPLICATE_MS after the first */
    const now = Date.now();
    if (this.askedAt === undefined) {
      this.askedAt = now;
      this.grace = setTimeout(() => this.end(`${sig}, and ${END_GRACE_MS / 1000} s passed`), END_GRACE_MS);
    } else if (now - this.askedAt >= DUPLICATE_MS) this.end(`a second ${sig}`);
  }

  /** Ends every process of the session now. */
  private end(why: string): void {
    if (this.forced || !this.cgroup) return;
    this.forced = true;
    process.stderr.write(`warden: ending the session (${why})\n`);
    try {
      writeFileSync(join(this.cgroup, 'cgroup.kill'), '1');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.child?.kill('SIGKILL');
    }
  }

  attach(child: ChildProcess, cgroup: string): void {
    this.child = child;
    this.cgroup = cgroup;
  }

  release(): void {
    if (this.grace) clearTimeout(this.grace);
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
  relay.attach(child, cg.path);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, done };
}
