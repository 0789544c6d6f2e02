// SPDX-License-Identifier: Apache-2.0
/*
 * The launch floor. Applied in this order, each step before the agent's first
 * instruction and none of it undone by the daemon dying:
 *   capability bounding set -> no_new_privs -> Landlock -> seccomp.
 * Landlock's ABI is probed; a restriction the floor asks for and the kernel
 * cannot give is an error, never silently skipped.
 *
 * Floor file, one directive per line:
 *   handle write | handle exec | scope signal | scope abstract | seccomp | caps
 *   seal | memfd noexec
 *   write PATH   | exec PATH | ro PATH | rw PATH | mask PATH
 *   guard PATH   | guard-glob PATTERN ('*' crosses '/') | guard-glob-path PATTERN (it does not)
 *   guard-except PATH (of the guard before it)
 *   git-config PATH (a guarded git config file, changed by content: see gitconfig.c)
 *   agent-file PATH (a guarded file the agent program itself may change: see agentfile.c)
 */
#define _GNU_SOURCE
#include "floor.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Landlock ABI, spelled out: the build host's headers may predate ABI 6. */
#define WD_LL_EXECUTE (1ULL << 0)
#define WD_LL_WRITE_FILE (1ULL << 1)
#define WD_LL_REMOVE_DIR (1ULL << 4)
#define WD_LL_REMOVE_FILE (1ULL << 5)
#define WD_LL_MAKE_CHAR (1ULL << 6)
#define WD_LL_MAKE_DIR (1ULL << 7)
#define WD_LL_MAKE_REG (1ULL << 8)
#define WD_LL_MAKE_SOCK (1ULL << 9)
#define WD_LL_MAKE_FIFO (1ULL << 10)
#define WD_LL_MAKE_BLOCK (1ULL << 11)
#define WD_LL_MAKE_SYM (1ULL << 12)
#define WD_LL_REFER (1ULL << 13)	 /* ABI 2 */
#define WD_LL_TRUNCATE (1ULL << 14)	 /* ABI 3 */
#define WD_LL_SCOPE_ABSTRACT (1ULL << 0) /* ABI 6 */
#define WD_LL_SCOPE_SIGNAL (1ULL << 1)	 /* ABI 6 */
#define WD_LL_FILE_RIGHTS (WD_LL_EXECUTE | WD_LL_WRITE_FILE | WD_LL_TRUNCATE)

struct wd_ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct wd_ll_path_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

static int fail(const char *what)
{
	fprintf(stderr, "warden-launch: %s: %s\n", what, strerror(errno));
	return -1;
}

int wd_floor_read(const char *file, struct wd_floor *f)
{
	FILE *in = fopen(file, "re");
	char line[4096];
	if (!in)
		return fail(file);
	memset(f, 0, sizeof(*f));
	while (fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\n")] = 0;
		char *arg = strchr(line, ' ');
		if (arg)
			*arg++ = 0;
		if (!*line || *line == '#')
			continue;
		if (!strcmp(line, "handle") && arg && !strcmp(arg, "write"))
			f->handle_write = true;
		else if (!strcmp(line, "handle") && arg && !strcmp(arg, "exec"))
			f->handle_exec = true;
		else if (!strcmp(line, "scope") && arg && !strcmp(arg, "signal"))
			f->scope_signal = true;
		else if (!strcmp(line, "scope") && arg && !strcmp(arg, "abstract"))
			f->scope_abstract = true;
		else if (!strcmp(line, "seccomp"))
			f->seccomp = true;
		else if (!strcmp(line, "caps"))
			f->drop_caps = true;
		else if (!strcmp(line, "seal"))
			f->seal = true;
		else if (!strcmp(line, "memfd") && arg && !strcmp(arg, "noexec"))
			f->memfd_noexec = true;
		else if (!strcmp(line, "ro") && arg && f->n_ro < WD_FLOOR_MAX_RULES)
			f->ro_paths[f->n_ro++] = strdup(arg);
		else if (!strcmp(line, "rw") && arg && f->n_rw < WD_FLOOR_MAX_RULES)
			f->rw_paths[f->n_rw++] = strdup(arg);
		else if (!strcmp(line, "guard-except") && arg && f->n_guard > 0 &&
			 f->guards[f->n_guard - 1].n_except < WD_GUARD_MAX_EXCEPT) {
			struct wd_guard *g = &f->guards[f->n_guard - 1];
			g->except[g->n_except++] = strdup(arg);
		} else if (!strcmp(line, "mask") && arg && f->n_mask < WD_FLOOR_MAX_RULES)
			f->mask_paths[f->n_mask++] = strdup(arg);
		else if ((!strcmp(line, "guard") || !strcmp(line, "guard-glob") ||
			  !strcmp(line, "guard-glob-path")) &&
			 arg && f->n_guard < WD_FLOOR_MAX_RULES)
			f->guards[f->n_guard++] =
			    (struct wd_guard){.pattern = strdup(arg),
					      .glob = strcmp(line, "guard") != 0,
					      .pathname = !strcmp(line, "guard-glob-path")};
		else if (!strcmp(line, "git-config") && arg &&
			 f->n_git_config < WD_FLOOR_MAX_GIT_CONFIG)
			f->git_configs[f->n_git_config++] =
			    (struct wd_git_config){.path = strdup(arg), .fd = -1};
		else if (!strcmp(line, "agent-file") && arg &&
			 f->n_agent_file < WD_FLOOR_MAX_AGENT_FILES)
			f->agent_files[f->n_agent_file++] =
			    (struct wd_agent_file){.path = strdup(arg), .fd = -1};
		else if (!strcmp(line, "write") && arg && f->n_write < WD_FLOOR_MAX_RULES)
			f->write_paths[f->n_write++] = strdup(arg);
		else if (!strcmp(line, "exec-content") && arg &&
			 f->n_exec_content < WD_FLOOR_MAX_RULES)
			f->exec_content[f->n_exec_content++] = strdup(arg);
		else if (!strcmp(line, "exec") && arg && f->n_exec < WD_FLOOR_MAX_RULES)
			f->exec_paths[f->n_exec++] = strdup(arg);
		else {
			fprintf(stderr, "warden-launch: %s: bad line: %s %s\n", file, line,
				arg ? arg : "");
			fclose(in);
			return -1;
		}
	}
	fclose(in);
	return 0;
}

/* Capabilities an agent never needs and Warden's own safety depends on it lacking. */
static const int dropped_caps[] = {
    CAP_SYS_ADMIN,	 CAP_BPF,
    CAP_PERFMON,	 CAP_NET_ADMIN,
    CAP_SYS_PTRACE,	 CAP_SYS_MODULE,
    CAP_SYS_RAWIO,	 CAP_SYS_BOOT,
    CAP_SYS_TIME,	 CAP_MAC_ADMIN,
    CAP_MAC_OVERRIDE,	 CAP_AUDIT_CONTROL,
    CAP_DAC_READ_SEARCH, CAP_LINUX_IMMUTABLE,
    CAP_SYSLOG,		 CAP_SETFCAP,
    CAP_NET_RAW,	 CAP_SYS_CHROOT,
    CAP_MKNOD,		 CAP_WAKE_ALARM,
    CAP_BLOCK_SUSPEND,	 CAP_CHECKPOINT_RESTORE,
    CAP_SYS_PACCT,	 CAP_SYS_TTY_CONFIG,
};

static int drop_caps(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	for (size_t i = 0; i < sizeof(dropped_caps) / sizeof(dropped_caps[0]); i++) {
		int c = dropped_caps[i];
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) && errno != EINVAL)
			return fail("drop capability from the bounding set");
	}
	if (syscall(SYS_capget, &hdr, data))
		return fail("capget");
	for (size_t i = 0; i < sizeof(dropped_caps) / sizeof(dropped_caps[0]); i++) {
		int c = dropped_caps[i];
		uint32_t bit = 1u << (c % 32);
		data[c / 32].effective &= ~bit;
		data[c / 32].permitted &= ~bit;
		data[c / 32].inheritable &= ~bit;
	}
	if (syscall(SYS_capset, &hdr, data))
		return fail("capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return fail("clear ambient capabilities");
	return 0;
}

static int add_rule(int ruleset, const char *path, uint64_t access)
{
	struct wd_ll_path_beneath rule = {.allowed_access = access};
	struct stat st;
	rule.parent_fd = open(path, O_PATH | O_CLOEXEC);
	if (rule.parent_fd < 0)
		return errno == ENOENT ? 0 : fail(path); /* nothing there to allow */
	if (fstat(rule.parent_fd, &st) == 0 && !S_ISDIR(st.st_mode))
		rule.allowed_access &= WD_LL_FILE_RIGHTS; /* a file takes file rights only */
	int r = rule.allowed_access
		    ? syscall(SYS_landlock_add_rule, ruleset, 1 /* PATH_BENEATH */, &rule, 0)
		    : 0;
	int err = errno;
	close(rule.parent_fd);
	errno = err;
	return r ? fail(path) : 0;
}

static int apply_landlock(const struct wd_floor *f)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1 /* VERSION */);
	uint64_t write = WD_LL_WRITE_FILE | WD_LL_REMOVE_DIR | WD_LL_REMOVE_FILE | WD_LL_MAKE_CHAR |
			 WD_LL_MAKE_DIR | WD_LL_MAKE_REG | WD_LL_MAKE_SOCK | WD_LL_MAKE_FIFO |
			 WD_LL_MAKE_BLOCK | WD_LL_MAKE_SYM;
	struct wd_ll_ruleset_attr attr = {0};

	if (!f->handle_write && !f->handle_exec && !f->scope_signal && !f->scope_abstract)
		return 0;
	if (abi < 1)
		return fail("Landlock is not available, and the policy needs it");
	if ((f->scope_signal || f->scope_abstract) && abi < 6) {
		errno = ENOTSUP;
		return fail("Landlock scopes need ABI 6");
	}
	if (abi >= 2)
		write |= WD_LL_REFER;
	if (abi >= 3)
		write |= WD_LL_TRUNCATE;
	attr.handled_access_fs =
	    (f->handle_write ? write : 0) | (f->handle_exec ? WD_LL_EXECUTE : 0);
	attr.scoped = (f->scope_signal ? WD_LL_SCOPE_SIGNAL : 0) |
		      (f->scope_abstract ? WD_LL_SCOPE_ABSTRACT : 0);
	int ruleset = syscall(SYS_landlock_create_ruleset, &attr,
			      abi >= 6 ? sizeof(attr) : 2 * sizeof(uint64_t), 0);
	if (ruleset < 0)
		return fail("landlock_create_ruleset");
	for (size_t i = 0; f->handle_write && i < f->n_write; i++)
		if (add_rule(ruleset, f->write_paths[i], write))
			return -1;
	for (size_t i = 0; f->handle_exec && i < f->n_exec; i++)
		if (add_rule(ruleset, f->exec_paths[i], WD_LL_EXECUTE))
			return -1;
	if (syscall(SYS_landlock_restrict_self, ruleset, 0))
		return fail("landlock_restrict_self");
	close(ruleset);
	return 0;
}

/* Calls that create, move or link a name: the supervisor decides them (supervise.c). */
static int notify_creating(scmp_filter_ctx ctx)
{
	static const int always[] = {
	    SCMP_SYS(mkdir),   SCMP_SYS(mkdirat),   SCMP_SYS(mknod),	 SCMP_SYS(mknodat),
	    SCMP_SYS(symlink), SCMP_SYS(symlinkat), SCMP_SYS(link),	 SCMP_SYS(linkat),
	    SCMP_SYS(rename),  SCMP_SYS(renameat),  SCMP_SYS(renameat2), SCMP_SYS(creat),
	    SCMP_SYS(openat2), /* its flags are in memory: every call */
	};
	int rc = 0;
	for (size_t i = 0; !rc && i < sizeof(always) / sizeof(always[0]); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, always[i], 0);
	/* an open creates a name only with O_CREAT (O_TMPFILE's file is named by linkat) */
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(open), 1,
				      SCMP_A1(SCMP_CMP_MASKED_EQ, O_CREAT, O_CREAT));
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(openat), 1,
				      SCMP_A2(SCMP_CMP_MASKED_EQ, O_CREAT, O_CREAT));
	return rc;
}

/* Syscalls that reach around Warden: new BPF, mounts and namespaces, modules,
 * kexec, perf, io_uring (whose operations skip the syscall hooks), fanotify,
 * userfaultfd (a fault the agent resolves could stall the supervisor). */
int wd_floor_seccomp(const struct wd_floor *f, int *listener)
{
	*listener = -1;
	if (!f->seccomp)
		return 0;
	static const int denied[] = {
	    SCMP_SYS(bpf),
	    SCMP_SYS(mount),
	    SCMP_SYS(umount2),
	    SCMP_SYS(pivot_root),
	    SCMP_SYS(chroot),
	    SCMP_SYS(unshare),
	    SCMP_SYS(setns),
	    SCMP_SYS(init_module),
	    SCMP_SYS(finit_module),
	    SCMP_SYS(delete_module),
	    SCMP_SYS(kexec_load),
	    SCMP_SYS(kexec_file_load),
	    SCMP_SYS(perf_event_open),
	    SCMP_SYS(io_uring_setup),
	    SCMP_SYS(io_uring_enter),
	    SCMP_SYS(io_uring_register),
	    SCMP_SYS(fanotify_init),
	    SCMP_SYS(open_by_handle_at),
	    SCMP_SYS(fsopen),
	    SCMP_SYS(fsmount),
	    SCMP_SYS(move_mount),
	    SCMP_SYS(open_tree),
	    SCMP_SYS(userfaultfd),
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc = ctx ? 0 : -ENOMEM;
	/* any other ABI (ia32, x32) ends the process: its numbers mean other syscalls */
	if (!rc)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	for (size_t i = 0; !rc && i < sizeof(denied) / sizeof(denied[0]); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), denied[i], 0);
	/* new namespaces through clone: one rule per flag (deny when that bit is set);
	 * clone3 hides its flags in memory, so it reports ENOSYS and libc falls back */
	static const unsigned long ns_flags[] = {CLONE_NEWNS,  CLONE_NEWUSER,	CLONE_NEWPID,
						 CLONE_NEWNET, CLONE_NEWCGROUP, CLONE_NEWIPC,
						 CLONE_NEWUTS};
	for (size_t i = 0; !rc && i < sizeof(ns_flags) / sizeof(ns_flags[0]); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	bool supervised = f->seal && f->n_guard > 0;
	if (!rc && supervised)
		rc = notify_creating(ctx);
	/* a file the agent program may change: none of its tools may take the agent program over
	 * to change it (ptrace attach, a write into its memory); the supervisor decides those too
	 */
	if (!rc && supervised && f->n_agent_file > 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(ptrace), 1,
				      SCMP_A0(SCMP_CMP_EQ, PTRACE_ATTACH));
	if (!rc && supervised && f->n_agent_file > 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(ptrace), 1,
				      SCMP_A0(SCMP_CMP_EQ, PTRACE_SEIZE));
	if (!rc && supervised && f->n_agent_file > 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(process_vm_writev), 0);
	if (!rc)
		rc = seccomp_load(ctx);
	if (!rc && supervised) {
		*listener = seccomp_notify_fd(ctx);
		rc = *listener < 0 ? *listener : 0;
	}
	seccomp_release(ctx);
	if (rc) {
		errno = -rc;
		return fail("seccomp filter");
	}
	return 0;
}

int wd_floor_apply(const struct wd_floor *f)
{
	if (f->drop_caps && drop_caps())
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return fail("no_new_privs");
	return apply_landlock(f);
}
