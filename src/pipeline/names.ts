/** Names for numbers the kernel reports: errno, open flags, address families. */
import { constants, homedir } from 'node:os';

const errnoNames = new Map<number, string>();
for (const [name, n] of Object.entries(constants.errno)) if (!errnoNames.has(n)) errnoNames.set(n, name);

/** "ENOENT" for -2; undefined for a success. */
export function errnoName(result: number): string | undefined {
  if (result >= 0) return undefined;
  return errnoNames.get(-result) ?? `E${-result}`;
}

/* Linux generic values (x86_64, arm64 share them except O_DIRECTORY/O_NOFOLLOW on arm). */
const OPEN_FLAGS: Array<[number, string]> = [
  [0o100, 'O_CREAT'],
  [0o200, 'O_EXCL'],
  [0o400, 'O_NOCTTY'],
  [0o1000, 'O_TRUNC'],
  [0o2000, 'O_APPEND'],
  [0o4000, 'O_NONBLOCK'],
  [0o10000, 'O_DSYNC'],
  [0o200000, 'O_DIRECTORY'],
  [0o400000, 'O_NOFOLLOW'],
  [0o1000000, 'O_NOATIME'],
  [0o2000000, 'O_CLOEXEC'],
  [0o10000000, 'O_PATH'],
  [0o20000000, 'O_TMPFILE'],
];

export function openFlagNames(flags: number): string[] {
  const acc = ['O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_ACCMODE'][flags & 3] ?? 'O_RDONLY';
  const names = [acc];
  for (const [bit, name] of OPEN_FLAGS) {
    if (name === 'O_TMPFILE' ? (flags & 0o20200000) === 0o20200000 : flags & bit) names.push(name);
  }
  return names.filter((n, i) => !(n === 'O_DIRECTORY' && names.includes('O_TMPFILE') && i > 0));
}

/** Whether an open can change the file: write access, create or truncate. */
const O_PATH = 0o10000000;

/** An O_PATH open names a file and reads or writes nothing (the kernel ignores its other flags). */
export function opensNameOnly(flags: number): boolean {
  return (flags & O_PATH) !== 0;
}

export function opensForWrite(flags: number): boolean {
  return !opensNameOnly(flags) && ((flags & 3) !== 0 || (flags & (0o100 | 0o1000)) !== 0);
}

export function familyName(family: number): 'ipv4' | 'ipv6' | 'unix' | 'other' {
  return family === 2 ? 'ipv4' : family === 10 ? 'ipv6' : family === 1 ? 'unix' : 'other';
}

export function protocolName(sockType: number, protocol: number): string {
  if (protocol === 6 || (protocol === 0 && sockType === 1)) return 'tcp';
  if (protocol === 17 || (protocol === 0 && sockType === 2)) return 'udp';
  if (protocol === 1 || protocol === 58) return 'icmp';
  return sockType === 3 ? `raw/${protocol}` : String(protocol);
}

/** 127.0.0.0/8, ::1 and their v4-mapped form. */
export function isLoopback(addr: string): boolean {
  return addr.startsWith('127.') || addr === '::1' || addr.startsWith('::ffff:127.');
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Where credentials live: the home's key and token stores, private keys, the shadow files. */
const CREDENTIAL = new RegExp(
  [
    `^${esc(homedir())}/\\.(ssh|aws|gnupg|azure|kube|docker/config\\.json|netrc|git-credentials|pgpass|config/gcloud|config/gh/hosts\\.yml)(/|$)`,
    '(^|/)(id_rsa|id_ed25519|id_ecdsa|id_dsa)$',
    '^/etc/(shadow|gshadow|ssl/private/)',
  ].join('|'),
);
export const isCredentialPath = (path: string): boolean => CREDENTIAL.test(path) && !path.endsWith('.pub');
