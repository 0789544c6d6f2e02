/**
 * What an action no tool call explains is: a change or not, why it is not an agent's own upkeep,
 * and how a finding names it. The correlator's (correlate.ts) judgement of its undeclared actions.
 */
import type { WardenEvent } from '../model/events.js';
import { isCredentialPath, isLoopback, opensForWrite, opensNameOnly } from './names.js';

/** programs that reach other machines */
export const NET_TOOLS = /^(curl|wget|nc|ncat|netcat|socat|ssh|scp|sftp|telnet|ftp|rsync|nslookup|dig|host)$/;

export function isChange(e: WardenEvent): boolean {
  if (e.type === 'open') return opensForWrite(e.flags);
  return (
    e.type === 'unlink' ||
    e.type === 'rename' ||
    e.type === 'mkdir' ||
    e.type === 'chmod' ||
    e.type === 'truncate' ||
    e.type === 'link' ||
    e.type === 'symlink' ||
    e.type === 'mknod'
  );
}

/**
 * Why an action no tool call explains is not the agent's own upkeep, if it is not. Upkeep writes
 * state, runs git and probes, and talks to the model through Warden's proxy; it does not reach
 * other machines, credentials or other processes. What writes and runs do is judged by the
 * detectors whoever did it, so it is not judged twice here.
 */
export function undeclaredHarm(
  e: WardenEvent,
  ownTarget: (e: Extract<WardenEvent, { type: 'kill' }>) => boolean,
): string | undefined {
  /* a change that did not happen is no action; a refused one is */
  if ('result' in e && typeof e.result === 'number' && e.result < 0 && !e.decision && e.result !== -115)
    return undefined;
  switch (e.type) {
    case 'connect':
    case 'send':
      if ((e.family !== 'ipv4' && e.family !== 'ipv6') || isLoopback(e.daddr) || e.dport === 53) return undefined;
      return "an agent's own traffic goes to its model through Warden's proxy, not to other machines";
    case 'open':
      return isCredentialPath(e.path) && !opensNameOnly(e.flags) ? 'no tool call asked for a credential' : undefined;
    case 'exec': {
      const prog = (e.argv[0] ?? e.exe).split('/').pop() ?? '';
      return NET_TOOLS.test(prog) ? 'a network tool that no tool call ran' : undefined;
    }
    case 'kill':
    case 'ptrace':
      return e.type === 'ptrace' || (e.signal !== 0 && !ownTarget(e))
        ? 'a process outside the session, reached by no tool call'
        : undefined;
    case 'setuid':
    case 'capset':
      return 'privilege changed with no tool call behind it';
    default:
      return undefined;
  }
}

/** An action in a few words, for a finding's message. */
export function describe(e: WardenEvent): string {
  switch (e.type) {
    case 'exec':
      return `exec of ${e.argv.join(' ').slice(0, 120)}`;
    case 'connect':
    case 'send':
      return `${e.type} to ${e.daddr}:${e.dport}`;
    case 'open':
      return `${opensForWrite(e.flags) ? 'write to' : 'read of'} ${e.path}`;
    case 'rename':
      return `rename of ${e.path} to ${e.newPath}`;
    case 'link':
      return `link of ${e.path} as ${e.newPath}`;
    case 'symlink':
      return `symlink ${e.path} to ${e.target}`;
    case 'mknod':
    case 'unlink':
    case 'mkdir':
    case 'chmod':
    case 'truncate':
      return `${e.type} of ${e.path}`;
    case 'kill':
      return `signal ${e.signal} to pid ${e.target}`;
    case 'ptrace':
      return `ptrace of pid ${e.target}`;
    default:
      return e.type;
  }
}
