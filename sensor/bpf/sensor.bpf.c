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
#include "map_types.h"

#include "lib/consts.h"

char LICENSE[] SEC("license") = "GPL";

#include "lib/maps.h"
#include "lib/emit.h"
#include "lib/unix.h"
#include "process.h"
#include "file.h"
#include "net.h"
#include "signal.h"
#include "netpolicy.h"

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

/*
 * tp_btf hands us a typed pt_regs: its fields are plain (fault-safe) loads,
 * with no helper call per argument. The syscall's own registers per arch:
 */
#if defined(__TARGET_ARCH_x86)
#define WD_ARG(regs, n)           \
	((n) == 0   ? (regs)->di  \
	 : (n) == 1 ? (regs)->si  \
	 : (n) == 2 ? (regs)->dx  \
	 : (n) == 3 ? (regs)->r10 \
	 : (n) == 4 ? (regs)->r8  \
		    : (regs)->r9)
#define WD_NR(regs) ((regs)->orig_ax)
#elif defined(__TARGET_ARCH_arm64)
#define WD_ARG(regs, n) ((n) == 0 ? (regs)->orig_x0 : (regs)->regs[n])
#define WD_NR(regs) ((regs)->syscallno)
#else
#error "add this architecture's syscall registers"
#endif

/*
 * Two raw tracepoints cover every watched syscall. (Per-syscall tracepoints
 * cost less for untracked processes' unwatched syscalls, but this kernel takes
 * ~35 ms to detach each one under a global lock: 78 of them made every
 * sensor start wait seconds for the previous one's exit.)
 */
/* The flags an open-family call asks for: the file gate tells reads from writes by them. */
static __always_inline __u32 wd_open_flags(__u32 nr, __u64 *args)
{
	struct open_how how = {};
	switch (nr) {
	case WD_SYS_OPEN: return args[1];
	case WD_SYS_OPENAT: return args[2];
	case WD_SYS_CREAT: return O_CREAT | O_WRONLY | O_TRUNC;
	case WD_SYS_OPENAT2:
		bpf_probe_read_user(&how, sizeof(how), (void *)args[2]);
		return how.flags;
	default: return 0;
	}
}

/*
 * A 32-bit syscall from a 64-bit kernel's compat entry carries its ia32 number,
 * which the native table would misread as another syscall: leave those alone.
 */
static __always_inline bool wd_compat_syscall(void)
{
#if defined(__TARGET_ARCH_x86)
	struct task_struct *task = bpf_get_current_task_btf();
	return task->thread_info.status & 0x0002; /* TS_COMPAT */
#else
	return false;
#endif
}

/* A call's number and arguments, from its registers (at sys_enter, or at sys_exit for a call
 * seccomp answered before sys_enter: its registers still hold them). */
static __always_inline void wd_stash_call(struct wd_stash *s, struct pt_regs *regs, __u32 nr)
{
	s->nr = nr;
	s->args[0] = WD_ARG(regs, 0);
	s->args[1] = WD_ARG(regs, 1);
	s->args[2] = WD_ARG(regs, 2);
	s->args[3] = WD_ARG(regs, 3);
	s->args[4] = WD_ARG(regs, 4);
	s->args[5] = WD_ARG(regs, 5);
	s->open_flags = wd_open_flags(nr, s->args);
	s->enter_ns = bpf_ktime_get_ns();
}

SEC("tp_btf/sys_enter")
int BPF_PROG(wd_sys_enter, struct pt_regs *regs, long native)
{
	__u32 nr = wd_watched(native);
	struct wd_stash s = {};

	if (!nr || !wd_tracked(&s.session) || wd_compat_syscall())
		return 0;
	__u64 id = (__u32)bpf_get_current_pid_tgid(); /* the thread id: what fanotify reports */
	wd_stash_call(&s, regs, nr);
	bpf_map_update_elem(&wd_stash_map, &id, &s, BPF_ANY);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(wd_sys_exit, struct pt_regs *regs, long ret)
{
	__u32 nr = wd_watched(WD_NR(regs));
	if (!nr)
		return 0;
	__u64 id = (__u32)bpf_get_current_pid_tgid();
	struct wd_stash *found = bpf_map_lookup_elem(&wd_stash_map, &id);
	struct wd_stash s = {};
	if (found) {
		__builtin_memcpy(&s, found, sizeof(s));
		bpf_map_delete_elem(&wd_stash_map, &id);
		if (s.nr != nr)
			return 0; /* a stale stash from a syscall that never returned */
	} else {
		/* A file call seccomp answered itself never reached sys_enter: the session's
		 * supervisor refused it, or did it on the agent's behalf (a rename, a mkdir). */
		if (WD_SYS_FAMILY(nr) != WD_FAM_FILE || !wd_tracked(&s.session) ||
		    wd_compat_syscall())
			return 0;
		wd_stash_call(&s, regs, nr);
	}

	/* a Unix socket refused may be glibc asking a daemon that is not there (nscd):
	 * userspace, which can tell, acts on those */
	if (ret == -1 /* EPERM */ && WD_SYS_EGRESS(nr) && !wd_fd_unix((int)s.args[0]))
		wd_net_violation(s.session);
	switch (WD_SYS_FAMILY(nr)) {
	case WD_FAM_FILE:
	case WD_FAM_EXEC: return wd_file_exit(&s, ret, nr);
	case WD_FAM_NET: return wd_net_exit(&s, ret, nr);
	case WD_FAM_SIGNAL: return wd_signal_exit(&s, ret, nr);
	case WD_FAM_CRED: return wd_cred_exit(&s, ret, nr);
	default: return 0;
	}
}
