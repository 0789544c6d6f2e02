// SPDX-License-Identifier: GPL-2.0
/*
 * Warden's kernel sensor. Every hook first asks one question, "is the current
 * task in a tracked session?" (one map lookup), and returns at once if not.
 * Tracked tasks get a frame (wire.h) on the one ring buffer.
 *
 * Syscalls are traced with per-syscall tracepoints so that untracked processes
 * pay nothing for the syscalls Warden does not watch: arguments are stashed at
 * sys_enter and the frame is built at sys_exit, when the result is known and
 * the kernel has already faulted in the user strings.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "wire.h"

#define AT_FDCWD -100
#define AT_REMOVEDIR 0x200
#define O_WRONLY 01
#define O_CREAT 0100
#define O_TRUNC 01000
#define S_IFMT 00170000
#define S_IFSOCK 0140000

char LICENSE[] SEC("license") = "GPL";

#include "lib/maps.h"
#include "lib/emit.h"
#include "process.h"
#include "file.h"
#include "net.h"
#include "signal.h"

/* Copies exactly the nargs arguments the tracepoint declares: the kernel refuses
 * to attach a program that reads past the tracepoint's last field. */
static __always_inline int wd_stash_args(struct trace_event_raw_sys_enter *ctx, __u32 nr,
					 const int nargs)
{
	struct wd_stash s = {};
	if (!wd_tracked(&s.session))
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	s.nr = nr;
	/* spelled out: the verifier refuses a ctx pointer moved by a loop */
	s.args[0] = ctx->args[0];
	if (nargs > 1)
		s.args[1] = ctx->args[1];
	if (nargs > 2)
		s.args[2] = ctx->args[2];
	if (nargs > 3)
		s.args[3] = ctx->args[3];
	if (nargs > 4)
		s.args[4] = ctx->args[4];
	if (nargs > 5)
		s.args[5] = ctx->args[5];
	bpf_map_update_elem(&wd_stash_map, &id, &s, BPF_ANY);
	return 0;
}

/* Takes the stash of this thread's syscall; false when it was not tracked. */
static __always_inline bool wd_unstash(struct wd_stash *out, __u32 nr)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct wd_stash *s = bpf_map_lookup_elem(&wd_stash_map, &id);
	if (!s)
		return false;
	__builtin_memcpy(out, s, sizeof(*out));
	bpf_map_delete_elem(&wd_stash_map, &id);
	return out->nr == nr;
}

/* One enter and one exit program per syscall, nr a compile-time constant. */
#define WD_SYSCALL(name, nr, nargs, family)                        \
	SEC("tracepoint/syscalls/sys_enter_" #name)                \
	int wd_enter_##name(struct trace_event_raw_sys_enter *ctx) \
	{                                                          \
		return wd_stash_args(ctx, nr, nargs);              \
	}                                                          \
	SEC("tracepoint/syscalls/sys_exit_" #name)                 \
	int wd_exit_##name(struct trace_event_raw_sys_exit *ctx)   \
	{                                                          \
		struct wd_stash s;                                 \
		if (!wd_unstash(&s, nr))                           \
			return 0;                                  \
		return family(&s, ctx->ret, nr);                   \
	}

WD_SYSCALL(open, WD_SYS_OPEN, 3, wd_file_exit)
WD_SYSCALL(openat, WD_SYS_OPENAT, 4, wd_file_exit)
WD_SYSCALL(openat2, WD_SYS_OPENAT2, 4, wd_file_exit)
WD_SYSCALL(creat, WD_SYS_CREAT, 2, wd_file_exit)
WD_SYSCALL(unlink, WD_SYS_UNLINK, 1, wd_file_exit)
WD_SYSCALL(unlinkat, WD_SYS_UNLINKAT, 3, wd_file_exit)
WD_SYSCALL(rmdir, WD_SYS_RMDIR, 1, wd_file_exit)
WD_SYSCALL(rename, WD_SYS_RENAME, 2, wd_file_exit)
WD_SYSCALL(renameat, WD_SYS_RENAMEAT, 4, wd_file_exit)
WD_SYSCALL(renameat2, WD_SYS_RENAMEAT2, 5, wd_file_exit)
WD_SYSCALL(mkdir, WD_SYS_MKDIR, 2, wd_file_exit)
WD_SYSCALL(mkdirat, WD_SYS_MKDIRAT, 3, wd_file_exit)
WD_SYSCALL(chmod, WD_SYS_CHMOD, 2, wd_file_exit)
WD_SYSCALL(fchmod, WD_SYS_FCHMOD, 2, wd_file_exit)
WD_SYSCALL(fchmodat, WD_SYS_FCHMODAT, 3, wd_file_exit)
WD_SYSCALL(fchmodat2, WD_SYS_FCHMODAT2, 4, wd_file_exit)
WD_SYSCALL(truncate, WD_SYS_TRUNCATE, 2, wd_file_exit)
WD_SYSCALL(ftruncate, WD_SYS_FTRUNCATE, 2, wd_file_exit)

WD_SYSCALL(connect, WD_SYS_CONNECT, 3, wd_net_exit)
WD_SYSCALL(sendto, WD_SYS_SENDTO, 6, wd_net_exit)
WD_SYSCALL(sendmsg, WD_SYS_SENDMSG, 3, wd_net_exit)
WD_SYSCALL(sendmmsg, WD_SYS_SENDMMSG, 4, wd_net_exit)
WD_SYSCALL(bind, WD_SYS_BIND, 3, wd_net_exit)
WD_SYSCALL(listen, WD_SYS_LISTEN, 2, wd_net_exit)
WD_SYSCALL(accept, WD_SYS_ACCEPT, 3, wd_net_exit)
WD_SYSCALL(accept4, WD_SYS_ACCEPT4, 4, wd_net_exit)

WD_SYSCALL(kill, WD_SYS_KILL, 2, wd_signal_exit)
WD_SYSCALL(tkill, WD_SYS_TKILL, 2, wd_signal_exit)
WD_SYSCALL(tgkill, WD_SYS_TGKILL, 3, wd_signal_exit)
WD_SYSCALL(ptrace, WD_SYS_PTRACE, 4, wd_signal_exit)

WD_SYSCALL(setuid, WD_SYS_SETUID, 1, wd_cred_exit)
WD_SYSCALL(setgid, WD_SYS_SETGID, 1, wd_cred_exit)
WD_SYSCALL(setreuid, WD_SYS_SETREUID, 2, wd_cred_exit)
WD_SYSCALL(setregid, WD_SYS_SETREGID, 2, wd_cred_exit)
WD_SYSCALL(setresuid, WD_SYS_SETRESUID, 3, wd_cred_exit)
WD_SYSCALL(setresgid, WD_SYS_SETRESGID, 3, wd_cred_exit)
WD_SYSCALL(setfsuid, WD_SYS_SETFSUID, 1, wd_cred_exit)
WD_SYSCALL(setfsgid, WD_SYS_SETFSGID, 1, wd_cred_exit)
WD_SYSCALL(capset, WD_SYS_CAPSET, 2, wd_cred_exit)
