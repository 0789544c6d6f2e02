/** Built-in policies, shipped as YAML files in policies/ so they can be read like any other. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const BUILTIN_POLICIES = ['coding-agent'] as const;
export const DEFAULT_POLICY = 'coding-agent';

/** A policy argument is a built-in name or a file path. */
export function policyPath(root: string, nameOrFile: string): string {
  if ((BUILTIN_POLICIES as readonly string[]).includes(nameOrFile)) return join(root, 'policies', `${nameOrFile}.yaml`);
  if (!existsSync(nameOrFile)) {
    throw new Error(`no policy file ${nameOrFile} (built-in policies: ${BUILTIN_POLICIES.join(', ')})`);
  }
  return nameOrFile;
}
