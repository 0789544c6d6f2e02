/** A policy's pattern with its variables filled in: ${workspace}, and ~ for the home directory. */
import { homedir } from 'node:os';

export interface ExpandContext {
  home?: string;
  workspace: string;
}

export function expandPattern(pattern: string, ctx: ExpandContext): string {
  const home = ctx.home ?? homedir();
  let p = pattern.replace(/\$\{workspace\}/g, ctx.workspace);
  if (p === '~' || p.startsWith('~/')) p = home + p.slice(1);
  return p;
}
