/** The syscalls the sensor watches, as enum wd_syscall numbers them (sensor/include/wire.h). */

/**
 * enum wd_syscall by family (enum wd_sys_family). The sensor dispatches on ranges of the enum
 * (WD_SYS_FAMILY in wire.h), so each family is one run of it: a syscall added goes in its family
 * here, and the layout test checks both the enum's values and the macro's family for each.
 */
export const SYSCALL_FAMILIES = {
  file: [
    'open',
    'openat',
    'openat2',
    'creat',
    'unlink',
    'unlinkat',
    'rmdir',
    'rename',
    'renameat',
    'renameat2',
    'mkdir',
    'mkdirat',
    'chmod',
    'fchmod',
    'fchmodat',
    'fchmodat2',
    'truncate',
    'ftruncate',
    'link',
    'linkat',
    'symlink',
    'symlinkat',
    'mknod',
    'mknodat',
  ],
  net: ['connect', 'sendto', 'sendmsg', 'sendmmsg', 'bind', 'listen', 'accept', 'accept4'],
  signal: ['kill', 'tkill', 'tgkill', 'ptrace'],
  cred: ['setuid', 'setgid', 'setreuid', 'setregid', 'setresuid', 'setresgid', 'setfsuid', 'setfsgid', 'capset'],
  exec: ['execve', 'execveat'],
} as const;

/** enum wd_syscall, in declaration order from 0: the families, one run each. */
export const SYSCALLS = [
  'none',
  ...SYSCALL_FAMILIES.file,
  ...SYSCALL_FAMILIES.net,
  ...SYSCALL_FAMILIES.signal,
  ...SYSCALL_FAMILIES.cred,
  ...SYSCALL_FAMILIES.exec,
] as const;
