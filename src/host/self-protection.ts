/** What Warden guards of itself in every session, whatever the session's policy says. */
import { randomBytes } from 'node:crypto';
import { tokenFile, type Config } from '../config.js';

export function newSessionId(): string {
  return Date.now().toString(36) + randomBytes(3).toString('hex');
}

/** Paths no agent may write, whatever its policy: Warden itself, and the kernel's control files. */
export function selfProtectedPaths(cfg: Config): string[] {
  return [cfg.root, cfg.stateDir, '/proc', '/sys'];
}

/** Warden's files no agent may even read: the daemon's API token. */
export function selfSecretPaths(cfg: Config): string[] {
  return [tokenFile(cfg)];
}
