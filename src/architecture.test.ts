/**
 * The house plan (ARCHITECTURE.md), checked: every import between folders of src/ runs down the
 * layers, never up or sideways, and no files import each other in a circle (type imports too).
 * An exception, if one is ever needed, is listed in KNOWN with why; the lists may only shrink.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from './config.js';

/** Each folder (or file at the top of src/) by its layer: a layer imports only from layers below it. */
export const LAYERS: Record<string, number> = {
  model: 0,
  'config-env': 0,
  config: 1,
  'safe-read': 1,
  policy: 2,
  sensor: 2,
  rpc: 2,
  applayer: 3,
  store: 4,
  pipeline: 5,
  enforce: 6,
  detect: 7,
  session: 8,
  export: 9,
  api: 9,
  host: 10,
  cli: 11,
};

/* imports that break the plan today, "from-file -> to-folder": remove an entry when its import goes */
const KNOWN: string[] = [];

const SRC = join(loadConfig().root, 'src');
const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return n === 'ui' ? [] : sources(p); /* the dashboard is a browser bundle */
    return /\.ts$/.test(n) && !/\.test\.ts$/.test(n) ? [p] : [];
  });
const unitOf = (file: string): string => {
  const rel = relative(SRC, file);
  return rel.includes('/') ? (rel.split('/')[0] as string) : rel.replace(/\.ts$/, '');
};
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms))
    out.push(resolve(dirname(file), (m[1] as string).replace(/\.js$/, '.ts')));
  return out;
}

test('every import between folders runs down the layers', () => {
  const found: string[] = [];
  for (const file of sources(SRC)) {
    const from = unitOf(file);
    const rank = LAYERS[from];
    assert.ok(rank !== undefined, `${relative(SRC, file)}: ${from} has no layer in ARCHITECTURE.md`);
    for (const target of importsOf(file)) {
      const to = unitOf(target);
      if (to === from) continue;
      const below = LAYERS[to];
      assert.ok(below !== undefined, `${relative(SRC, file)} imports ${to}, which has no layer`);
      if (below >= rank) found.push(`${relative(SRC, file)} -> ${to}`);
    }
  }
  const unique = [...new Set(found)].sort();
  const added = unique.filter((f) => !KNOWN.includes(f));
  const gone = KNOWN.filter((k) => !unique.includes(k));
  assert.deepEqual(added, [], `imports running up or sideways (ARCHITECTURE.md says where each folder sits)`);
  assert.deepEqual(gone, [], 'fixed: remove these from KNOWN');
});

test('no files import each other in a circle', () => {
  const files = sources(SRC);
  const edges = new Map(files.map((f) => [f, importsOf(f).filter((t) => files.includes(t))]));
  const circles: string[] = [];
  /* depth-first: a file met again while still on the path closes a circle */
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    path.push(f);
    for (const t of edges.get(f) ?? []) {
      if (state.get(t) === 'open')
        circles.push(
          path
            .slice(path.indexOf(t))
            .concat(t)
            .map((p) => relative(SRC, p))
            .join(' -> '),
        );
      else if (!state.has(t)) visit(t);
    }
    path.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  const unique = [...new Set(circles)].sort();
  assert.deepEqual(
    unique.filter((c) => !KNOWN_CIRCLES.includes(c)),
    [],
  );
  assert.deepEqual(
    KNOWN_CIRCLES.filter((c) => !unique.includes(c)),
    [],
    'fixed: remove these from KNOWN_CIRCLES',
  );
});

const KNOWN_CIRCLES: string[] = [];
