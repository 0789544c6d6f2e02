/**
 * Fuzzing with fast-check: inputs are seeds from the target's corpus
 * (test/fuzz/corpus/NAME/) mutated byte by byte (flips, sets, inserts,
 * deletions, truncations, duplications, splices of two seeds), plus random
 * bytes and random JSON. A target passes an input when it returns or throws
 * one of the errors it is allowed to (its honest refusal); any other error,
 * or an input that takes longer than HANG_MS, is a finding. fast-check
 * shrinks a finding to a small input, which is written to
 * test/fuzz/crashes/NAME/ and from then on replayed with the corpus.
 * (jazzer.js, the coverage-guided choice, ships an addon built for a newer
 * glibc than Debian 12's; the C side uses libFuzzer, see sensor/fuzz/.)
 */
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';

export interface FuzzTarget {
  name: string;
  /** what the input is, for the report */
  input: string;
  /** one input; may throw only what `allowed` accepts */
  run: (data: Uint8Array) => void | Promise<void>;
  /** errors that are the target's refusal of bad input, not findings */
  allowed?: (e: unknown) => boolean;
  /** the input is JSON: random JSON values are tried too */
  json?: boolean;
}

export interface FuzzReport {
  target: string;
  inputs: number;
  seeds: number;
  findings: string[];
  ms: number;
}

/** Longer than this for one input is a hang. */
export const HANG_MS = 2000;
const FUZZ_DIR = join(ROOT, 'test', 'fuzz');

function readDir(dir: string): Uint8Array[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((f) => new Uint8Array(readFileSync(join(dir, f))));
}

export const corpusDir = (name: string): string => join(FUZZ_DIR, 'corpus', name);
export const crashDir = (name: string): string => join(FUZZ_DIR, 'crashes', name);

/** The seeds: the corpus, and every finding kept as a regression. */
export function seedsOf(name: string): Uint8Array[] {
  const seeds = [...readDir(corpusDir(name)), ...readDir(crashDir(name))];
  return seeds.length ? seeds : [new Uint8Array(0)];
}

type Op = { kind: 'flip' | 'set' | 'insert' | 'delete' | 'truncate' | 'dup'; at: number; byte: number; len: number };

function mutate(seed: Uint8Array, ops: Op[], other: Uint8Array, splice: boolean): Uint8Array {
  let b = Array.from(seed);
  for (const op of ops) {
    const at = b.length ? op.at % (b.length + 1) : 0;
    switch (op.kind) {
      case 'flip':
        if (at < b.length) b[at] = (b[at] ?? 0) ^ (1 << (op.byte & 7));
        break;
      case 'set':
        if (at < b.length) b[at] = op.byte;
        break;
      case 'insert':
        b.splice(at, 0, ...new Array<number>(1 + (op.len % 8)).fill(op.byte));
        break;
      case 'delete':
        b.splice(at, 1 + (op.len % 16));
        break;
      case 'truncate':
        b = b.slice(0, at);
        break;
      case 'dup':
        b.splice(at, 0, ...b.slice(at, at + 1 + (op.len % 64)));
        break;
    }
  }
  if (splice && other.length) b = [...b.slice(0, b.length >> 1), ...Array.from(other).slice(other.length >> 1)];
  return Uint8Array.from(b.slice(0, 1 << 16));
}

function inputs(target: FuzzTarget, seeds: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const op = fc.record({
    kind: fc.constantFrom<Op['kind']>('flip', 'set', 'insert', 'delete', 'truncate', 'dup'),
    at: fc.nat(),
    byte: fc
      .constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x0a, 0x0d, 0x22, 0x5c, 0x7b, 0x7d, 0x3a)
      .chain((b) => fc.oneof(fc.constant(b), fc.integer({ min: 0, max: 255 }))),
    len: fc.nat({ max: 255 }),
  });
  const mutated = fc
    .tuple(fc.constantFrom(...seeds), fc.array(op, { maxLength: 6 }), fc.constantFrom(...seeds), fc.boolean())
    .map(([seed, ops, other, splice]) => mutate(seed, ops, other, splice));
  const enc = new TextEncoder();
  const arbs: Array<fc.WeightedArbitrary<Uint8Array>> = [
    { arbitrary: mutated, weight: 8 },
    { arbitrary: fc.constantFrom(...seeds), weight: 1 },
    { arbitrary: fc.uint8Array({ maxLength: 2048 }), weight: 1 },
  ];
  if (target.json) arbs.push({ arbitrary: fc.json({ depthSize: 'medium' }).map((j) => enc.encode(j)), weight: 2 });
  return fc.oneof(...arbs);
}

function keep(name: string, data: Uint8Array): string {
  const dir = crashDir(name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, createHash('sha256').update(data).digest('hex').slice(0, 16));
  writeFileSync(file, data);
  return file;
}

/**
 * Runs `target` on `runs` inputs, or until `seconds` pass. Findings are kept
 * in its crash directory and returned (the run stops at the first, shrunk).
 */
export async function fuzz(target: FuzzTarget, opts: { runs?: number; seconds?: number; seed?: number } = {}) {
  const seeds = seedsOf(target.name);
  const t0 = Date.now();
  let tried = 0;
  const findings: string[] = [];
  const property = fc.asyncProperty(inputs(target, seeds), async (data) => {
    tried++;
    const start = Date.now();
    try {
      await target.run(data);
    } catch (e) {
      if (!target.allowed?.(e)) throw e;
    }
    const took = Date.now() - start;
    if (took > HANG_MS) throw new Error(`took ${took} ms on one input of ${data.length} bytes`);
  });
  const result = await fc.check(property, {
    numRuns: opts.runs ?? Number.MAX_SAFE_INTEGER,
    ...(opts.seconds ? { interruptAfterTimeLimit: opts.seconds * 1000 } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    markInterruptAsFailure: false,
    endOnFailure: false,
  });
  if (result.failed && result.counterexample) {
    const [data] = result.counterexample;
    const why = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
    findings.push(`${why.split('\n')[0]} (kept in ${keep(target.name, data)})`);
  }
  return {
    target: target.name,
    inputs: tried,
    seeds: seeds.length,
    findings,
    ms: Date.now() - t0,
  } satisfies FuzzReport;
}
