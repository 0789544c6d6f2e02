/** The kernel's strings as text: C strings, walked paths joined and normalized, addresses. */

const utf8 = new TextDecoder('utf-8');

export function cString(b: Uint8Array): string {
  const end = b.indexOf(0);
  return utf8.decode(end < 0 ? b : b.subarray(0, end));
}

/** NUL-separated strings (argv). */
export function cStrings(b: Uint8Array): string[] {
  if (b.length === 0) return [];
  const parts = utf8.decode(b).split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** A walked path: components leaf first, NUL-terminated; root last. */
export function walkedPath(b: Uint8Array): string {
  const parts = cStrings(b).filter((p) => p !== '/' && p !== '');
  return '/' + parts.reverse().join('/');
}

/** Lexical normalization of an absolute path ("." and ".." removed). */
export function normalizePath(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}

/** The absolute path a syscall named: as given if absolute, else joined to its base dir. */
export function joinPath(given: string, base: string): string {
  if (given.startsWith('/')) return normalizePath(given);
  if (base === '') return given; /* base unknown: keep what was asked for */
  return normalizePath(`${base}/${given}`);
}

/** An IPv4 or IPv6 address as text (an IPv4-mapped one as ::ffff:a.b.c.d). */
export function ipString(family: number, addr: Uint8Array): string {
  if (family === 2) return `${addr[0]}.${addr[1]}.${addr[2]}.${addr[3]}`;
  if (family === 10) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push((((addr[i] ?? 0) << 8) | (addr[i + 1] ?? 0)).toString(16));
    if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') {
      return `::ffff:${addr[12]}.${addr[13]}.${addr[14]}.${addr[15]}`;
    }
    return compressV6(groups);
  }
  return '';
}

function compressV6(groups: string[]): string {
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}
