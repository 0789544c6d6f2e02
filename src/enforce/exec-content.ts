/**
 * What a run the launch floor refused by its bytes was: a copy of a denied
 * program, or the dynamic loader run as a program (sensor/launcher/content.c
 * decides; this names the decision for the judge). Read from outside the
 * session, where nothing is masked or gated.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';

/** The dynamic loaders a program may name (PT_INTERP). */
export const LOADERS = ['/lib64/ld-linux-x86-64.so.2', '/lib/ld-linux-aarch64.so.1', '/lib/ld-linux.so.2'];

export type Identity = { program: string } | { loader: string };

export class DeniedPrograms {
  private readonly loaders: string[];

  /** programs: the denied programs' real paths, as the floor lists them */
  constructor(private readonly programs: string[]) {
    this.loaders = [...new Set(LOADERS.filter((l) => existsSync(l)).map((l) => realpathSync(l)))];
  }

  /** Which denied program (or loader) the file at path is, by inode or by its bytes. */
  identify(path: string): Identity | undefined {
    if (!this.programs.length || !path.startsWith('/')) return undefined;
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
          return (
            (rs.ino === st.ino && rs.dev === st.dev) ||
            (rs.size === st.size && readFileSync(r).equals(readFileSync(path)))
          );
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
