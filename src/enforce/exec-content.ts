/**
 * What a run the launch floor refused by its bytes was: a copy of a denied
 * program, or the dynamic loader run as a program (sensor/launcher/content.c
 * decides; this names the decision for the judge). Read from outside the
 * session, where nothing is masked or gated.
 */
import { openSync, readSync, closeSync, realpathSync, statSync } from 'node:fs';

/** The dynamic loaders a program may name (PT_INTERP). */
export const LOADERS = ['/lib64/ld-linux-x86-64.so.2', '/lib/ld-linux-aarch64.so.1', '/lib/ld-linux.so.2'];

export type Identity = { program: string } | { loader: string };

function sameBytes(a: string, b: string, size: number): boolean {
  const fa = openSync(a, 'r');
  try {
    const fb = openSync(b, 'r');
    try {
      const x = Buffer.alloc(65536);
      const y = Buffer.alloc(65536);
      for (let at = 0; at < size;) {
        const n = readSync(fa, x, 0, x.length, at);
        if (n <= 0 || readSync(fb, y, 0, n, at) !== n || !x.subarray(0, n).equals(y.subarray(0, n))) return false;
        at += n;
      }
      return true;
    } finally {
      closeSync(fb);
    }
  } finally {
    closeSync(fa);
  }
}

export class DeniedPrograms {
  private readonly loaders: string[];

  /** programs: the denied programs' real paths, as the floor lists them */
  constructor(private readonly programs: string[]) {
    this.loaders = [...new Set(LOADERS.flatMap((l) => realOrNone(l)))];
  }

  get empty(): boolean {
    return this.programs.length === 0;
  }

  /** Which denied program (or loader) the file at path is, by inode or by its bytes. */
  identify(path: string): Identity | undefined {
    if (this.empty || !path.startsWith('/')) return undefined;
    let st;
    try {
      st = statSync(path);
    } catch {
      return undefined; /* gone since */
    }
    const match = (refs: string[]): string | undefined =>
      refs.find((r) => {
        try {
          const rs = statSync(r);
          return (rs.ino === st.ino && rs.dev === st.dev) || (rs.size === st.size && sameBytes(r, path, st.size));
        } catch {
          return false;
        }
      });
    const program = match(this.programs);
    if (program) return { program };
    const loader = match(this.loaders);
    return loader ? { loader } : undefined;
  }
}

function realOrNone(p: string): string[] {
  try {
    return [realpathSync(p)];
  } catch {
    return [];
  }
}
