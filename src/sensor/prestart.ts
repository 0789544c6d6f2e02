/**
 * The loader started before the CLI has loaded. A standalone `warden run` waits for it first,
 * and it takes about as long to load its programs (~130 ms) as the CLI takes to load; started
 * at once, the two overlap. `Sensor.start()` adopts it when it asks for the same loader with
 * the same arguments and it still runs; otherwise it is ended, as it is when this process ends
 * without adopting it (its stdin closes with us, which also ends it).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

export type LoaderProcess = ChildProcessByStdio<Writable, Readable, Readable>;

let early: { bin: string; args: string[]; proc: LoaderProcess; failed: boolean } | undefined;

/** The loader's command line: one place, for the early start and `Sensor.start()` alike. */
export function loaderArgs(o: {
  sessionLevel: number;
  ringbufMb: number;
  gateDeadlineMs?: number | undefined;
  verbose?: boolean | undefined;
}): string[] {
  const args = ['--session-level', String(o.sessionLevel), '--ringbuf-mb', String(o.ringbufMb)];
  if (o.gateDeadlineMs) args.push('--gate-deadline-ms', String(o.gateDeadlineMs));
  if (o.verbose) args.push('--verbose');
  return args;
}

export function prestart(bin: string, args: string[]): void {
  discard();
  const proc = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const held = { bin, args, proc, failed: false };
  proc.once('error', () => (held.failed = true)); /* not there: the start that asks says why */
  proc.stdin.on('error', () => undefined);
  early = held;
  process.once('exit', discard);
}

/** The loader started early, when it is the one asked for and still runs; otherwise undefined, and it is ended. */
export function adopt(bin: string, args: string[]): LoaderProcess | undefined {
  const e = early;
  early = undefined;
  if (!e) return undefined;
  const same = e.bin === bin && e.args.length === args.length && e.args.every((a, i) => a === args[i]);
  if (same && !e.failed && e.proc.exitCode === null && e.proc.signalCode === null) return e.proc;
  e.proc.kill('SIGTERM');
  return undefined;
}

/** Ends a loader started early that nothing adopted. */
export function discard(): void {
  early?.proc.kill('SIGTERM');
  early = undefined;
}
