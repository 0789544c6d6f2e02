// SPDX-License-Identifier: Apache-2.0
/* The syscalls the sensor watches: native number -> enum wd_syscall, for this architecture. */
#define _GNU_SOURCE
#include "watch.h"
#include "log.h"
#include <errno.h>
#include <sys/syscall.h>

/* Which native syscalls the sensor watches, by their number on this architecture. */
/* clang-format off */
static const struct {
	__u8 wd;
	long native;
} watched[] = {
#ifdef SYS_open
	{WD_SYS_OPEN, SYS_open},
#endif
#ifdef SYS_creat
	{WD_SYS_CREAT, SYS_creat},
#endif
#ifdef SYS_unlink
	{WD_SYS_UNLINK, SYS_unlink},
#endif
#ifdef SYS_rmdir
	{WD_SYS_RMDIR, SYS_rmdir},
#endif
#ifdef SYS_rename
	{WD_SYS_RENAME, SYS_rename},
#endif
#ifdef SYS_renameat
	{WD_SYS_RENAMEAT, SYS_renameat},
#endif
#ifdef SYS_mkdir
	{WD_SYS_MKDIR, SYS_mkdir},
#endif
#ifdef SYS_chmod
	{WD_SYS_CHMOD, SYS_chmod},
#endif
#ifdef SYS_link
	{WD_SYS_LINK, SYS_link},
#endif
#ifdef SYS_symlink
	{WD_SYS_SYMLINK, SYS_symlink},
#endif
#ifdef SYS_mknod
	{WD_SYS_MKNOD, SYS_mknod},
#endif
#ifdef SYS_fchmodat2
	{WD_SYS_FCHMODAT2, SYS_fchmodat2},
#else
	/* fchmodat2 is not in this libc's headers yet; 452 on every arch */
	{WD_SYS_FCHMODAT2, 452},
#endif
	{WD_SYS_OPENAT, SYS_openat},
	{WD_SYS_OPENAT2, SYS_openat2},
	{WD_SYS_UNLINKAT, SYS_unlinkat},
	{WD_SYS_RENAMEAT2, SYS_renameat2},
	{WD_SYS_MKDIRAT, SYS_mkdirat},
	{WD_SYS_FCHMOD, SYS_fchmod},
	{WD_SYS_FCHMODAT, SYS_fchmodat},
	{WD_SYS_TRUNCATE, SYS_truncate},
	{WD_SYS_FTRUNCATE, SYS_ftruncate},
	{WD_SYS_LINKAT, SYS_linkat},
	{WD_SYS_SYMLINKAT, SYS_symlinkat},
	{WD_SYS_MKNODAT, SYS_mknodat},
	{WD_SYS_CONNECT, SYS_connect},
	{WD_SYS_SENDTO, SYS_sendto},
	{WD_SYS_SENDMSG, SYS_sendmsg},
	{WD_SYS_SENDMMSG, SYS_sendmmsg},
	{WD_SYS_BIND, SYS_bind},
	{WD_SYS_LISTEN, SYS_listen},
	{WD_SYS_ACCEPT, SYS_accept},
	{WD_SYS_ACCEPT4, SYS_accept4},
	{WD_SYS_KILL, SYS_kill},
	{WD_SYS_TKILL, SYS_tkill},
	{WD_SYS_TGKILL, SYS_tgkill},
	{WD_SYS_PTRACE, SYS_ptrace},
	{WD_SYS_SETUID, SYS_setuid},
	{WD_SYS_SETGID, SYS_setgid},
	{WD_SYS_SETREUID, SYS_setreuid},
	{WD_SYS_SETREGID, SYS_setregid},
	{WD_SYS_SETRESUID, SYS_setresuid},
	{WD_SYS_SETRESGID, SYS_setresgid},
	{WD_SYS_SETFSUID, SYS_setfsuid},
	{WD_SYS_SETFSGID, SYS_setfsgid},
	{WD_SYS_CAPSET, SYS_capset},
	{WD_SYS_EXECVE, SYS_execve},
	{WD_SYS_EXECVEAT, SYS_execveat},
};
/* clang-format on */

int wd_watch_fill(volatile __u8 *table, size_t max)
{
	for (size_t i = 0; i < sizeof(watched) / sizeof(watched[0]); i++) {
		if (watched[i].native < 0 || (size_t)watched[i].native >= max) {
			wd_logf("syscall %ld is beyond the watch table", watched[i].native);
			return -ERANGE;
		}
		table[watched[i].native] = watched[i].wd;
	}
	return 0;
}
