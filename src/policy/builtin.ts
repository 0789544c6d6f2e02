/** Built-in policies, shipped as YAML files in policies/ so they can be read like any other. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const BUILTIN_POLICIES = ['coding-agent'] as const;
export const DEFAULT_POLICY = 'coding-agent';

/** A policy argument is a built-in name or a file path (relative to `cwd`). */
export function policyPath(root: string, nameOrFile: string, cwd = process.cwd()): string {
  if ((BUILTIN_POLICIES as readonly string[]).includes(nameOrFile)) return join(root, 'policies', `${nameOrFile}.yaml`);
  const file = resolve(cwd, nameOrFile);
  if (!existsSync(file)) {
    throw new Error(`no policy file ${nameOrFile} (built-in policies: ${BUILTIN_POLICIES.join(', ')})`);
  }
  return file;
}
