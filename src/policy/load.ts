/**
 * Reads a policy file. An invalid policy is rejected whole, with one
 * `file:line: message` per problem; nothing is ever filled in silently.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { z } from 'zod';
import { PolicySchema, type Policy } from './schema.js';

export class PolicyError extends Error {
  override name = 'PolicyError';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: invalid policy\n${problems.join('\n')}`);
  }
}

/*
 * A value that matched none of a union's forms (a path written as a string, or as an object):
 * the problems of the forms of its own type, not "Invalid input" at the entry.
 */
function unionCauses(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union') return [issue];
  const sameType = issue.errors.filter((b) => !(b.length === 1 && b[0]?.code === 'invalid_type' && !b[0].path.length));
  if (sameType.length === 0) return [issue];
  return sameType.flat().flatMap((i) => unionCauses({ ...i, path: [...issue.path, ...i.path] }));
}

export function parsePolicy(text: string, file: string): Policy {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): number => lines.linePos(offset).line;
  const problems = [...doc.errors, ...doc.warnings].map((e) => `${file}:${at(e.pos[0])}: ${e.message.split('\n')[0]}`);
  if (problems.length) throw new PolicyError(file, problems);
  let value: unknown;
  try {
    /* aliases are resolved here: one that names no anchor, or too many of them (a YAML bomb), fail */
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new PolicyError(file, [`${file}:1: ${(e as Error).message.split('\n')[0]}`]);
  }
  const parsed = PolicySchema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues.flatMap(unionCauses)) {
    /* the deepest node that exists names the line */
    let line = 1;
    const path = [...issue.path, ...(issue.code === 'unrecognized_keys' ? issue.keys.slice(0, 1) : [])];
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth) as Array<string | number>, true);
      if (isNode(node) && node.range) {
        line = at(node.range[0]);
        break;
      }
    }
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    problems.push(`${file}:${line}: ${where}${issue.message}`);
  }
  throw new PolicyError(file, problems);
}

export function loadPolicy(file: string): Policy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PolicyError(file, [`${file}: cannot read: ${(e as Error).message}`]);
  }
  return parsePolicy(text, file);
}
