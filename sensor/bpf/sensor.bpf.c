// SPDX-License-Identifier: GPL-2.0
/*
 * Warden's kernel sensor. Every hook first asks one question, "is the current
 * task in a tracked session?" (one map lookup), and returns at once if not.
 * Tracked tasks get a frame (wire.h) on the one ring buffer.
 *
 * Syscalls: arguments are stashed at sys_enter and the frame is built at
 * sys_exit, when the result is known and the kernel has already faulted in the
 * user strings. Untracked processes pay a table read for unwatched syscalls
 * and one map lookup for watched ones.
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

/*
 * Native syscall number -> enum wd_syscall (0: not watched). Filled by the
 * loader before load, so the check is a plain read of constant data.
 */
#define WD_NATIVE_MAX 512
const volatile __u8 wd_watch[WD_NATIVE_MAX] = {};

static __always_inline __u32 wd_watched(long native)
{
	if (native < 0 || native >= WD_NATIVE_MAX)
		return 0;
	return wd_watch[native];
}

/* libbpf 1.1 stops at the fifth syscall argument */
#if defined(__TARGET_ARCH_x86)
#define WD_SYSCALL_ARG6(regs) BPF_CORE_READ(regs, r9)
#elif defined(__TARGET_ARCH_arm64)
#define WD_SYSCALL_ARG6(regs) BPF_CORE_READ((struct user_pt_regs *)(regs), regs[5])
#endif

static __always_inline long wd_exit_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return BPF_CORE_READ(regs, orig_ax);
#elif defined(__TARGET_ARCH_arm64)
	return BPF_CORE_READ((struct user_pt_regs *)regs, regs[8]);
#else
#error "add this architecture's syscall number register"
#endif
}

/*
 * Two raw tracepoints cover every watched syscall. (Per-syscall tracepoints
 * cost less for untracked processes' unwatched syscalls, but this kernel takes
 * ~35 ms to detach each one under a global lock: 78 of them made every
 * sensor start wait seconds for the previous one's exit.)
 */
/*
 * A 32-bit syscall from a 64-bit kernel's compat entry carries its ia32 number,
 * which the native table would misread as another syscall: leave those alone.
 */
static __always_inline bool wd_compat_syscall(void)
{
#if defined(__TARGET_ARCH_x86)
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	return BPF_CORE_READ(task, thread_info.status) & 0x0002; /* TS_COMPAT */
#else
	return false;
#endif
}

SEC("raw_tp/sys_enter")
int wd_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 nr = wd_watched(ctx->args[1]);
	struct wd_stash s = {};

	if (!nr || !wd_tracked(&s.session) || wd_compat_syscall())
		return 0;
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	__u64 id = bpf_get_current_pid_tgid();
	s.nr = nr;
	s.args[0] = PT_REGS_PARM1_CORE_SYSCALL(regs);
	s.args[1] = PT_REGS_PARM2_CORE_SYSCALL(regs);
	s.args[2] = PT_REGS_PARM3_CORE_SYSCALL(regs);
	s.args[3] = PT_REGS_PARM4_CORE_SYSCALL(regs);
	s.args[4] = PT_REGS_PARM5_CORE_SYSCALL(regs);
	s.args[5] = WD_SYSCALL_ARG6(regs);
	bpf_map_update_elem(&wd_stash_map, &id, &s, BPF_ANY);
	return 0;
}

SEC("raw_tp/sys_exit")
int wd_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	__u32 nr = wd_watched(wd_exit_nr(regs));
	if (!nr)
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	struct wd_stash *found = bpf_map_lookup_elem(&wd_stash_map, &id);
	if (!found)
		return 0;
	struct wd_stash s;
	__builtin_memcpy(&s, found, sizeof(s));
	bpf_map_delete_elem(&wd_stash_map, &id);
	if (s.nr != nr)
		return 0; /* a stale stash from a syscall that never returned */
	long ret = ctx->args[1];

	if (nr <= WD_SYS_FTRUNCATE)
		return wd_file_exit(&s, ret, nr);
	if (nr <= WD_SYS_ACCEPT4)
		return wd_net_exit(&s, ret, nr);
	if (nr <= WD_SYS_PTRACE)
		return wd_signal_exit(&s, ret, nr);
	return wd_cred_exit(&s, ret, nr);
}
