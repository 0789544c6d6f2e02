// SPDX-License-Identifier: Apache-2.0
/*
 * warden-probe: tries each kernel mechanism Warden can use and prints one JSON
 * line per mechanism: {"probe":..., "ok":true|false, "detail":...}.
 * Everything it creates (a cgroup, a temp dir, programs) is removed before it exits.
 *
 *   warden-probe CGROUP2_MOUNT
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probe.skel.h"

static void report(const char *probe, int ok, const char *detail)
{
	printf("{\"probe\":\"%s\",\"ok\":%s,\"detail\":\"", probe, ok ? "true" : "false");
	for (const char *c = detail; *c; c++) {
		if (*c == '"' || *c == '\\')
			putchar('\\');
		putchar(*c == '\n' ? ' ' : *c);
	}
	printf("\"}\n");
	fflush(stdout);
}

static int silent(enum libbpf_print_level l, const char *f, va_list a)
{
	return 0;
}

/* Loads only @name (as @attach_type when not 0); attaches it (to @cgroup_fd for cgroup programs).
 */
static void probe_prog_as(const char *probe, const char *name, int cgroup_fd, int attach_type)
{
	char detail[256];
	struct probe_bpf *skel = probe_bpf__open();
	struct bpf_program *prog, *target = NULL;
	if (!skel) {
		report(probe, 0, "cannot open probe object");
		return;
	}
	bpf_object__for_each_program (prog, skel->obj) {
		int me = strcmp(bpf_program__name(prog), name) == 0;
		bpf_program__set_autoload(prog, me);
		if (me)
			target = prog;
	}
	if (target && attach_type)
		bpf_program__set_expected_attach_type(target, attach_type);
	int err = probe_bpf__load(skel);
	if (err) {
		snprintf(detail, sizeof(detail), "load refused: %s", strerror(-err));
		report(probe, 0, detail);
	} else {
		struct bpf_link *link = cgroup_fd >= 0
					    ? bpf_program__attach_cgroup(target, cgroup_fd)
					    : bpf_program__attach(target);
		if (!link) {
			snprintf(detail, sizeof(detail), "loads, attach refused: %s",
				 strerror(errno));
			report(probe, 0, detail);
		} else {
			report(probe, 1, "loads and attaches");
			bpf_link__destroy(link);
		}
	}
	probe_bpf__destroy(skel);
}

static void probe_prog(const char *probe, const char *name, int cgroup_fd)
{
	probe_prog_as(probe, name, cgroup_fd, 0);
}

/*
 * The sealed room: a child makes private mount and PID namespaces, binds a
 * directory read-only over itself, and shows a write there fails with EROFS
 * while its own first child is pid 1.
 */
static void probe_namespaces(void)
{
	char dir[] = "/tmp/warden-probe-ns-XXXXXX";
	if (!mkdtemp(dir)) {
		report("mount-ns", 0, "cannot make a temp dir");
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		char file[64];
		snprintf(file, sizeof(file), "%s/f", dir);
		if (unshare(CLONE_NEWNS | CLONE_NEWPID) ||
		    mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL))
			_exit(10);
		if (mount(dir, dir, NULL, MS_BIND, NULL) ||
		    mount(NULL, dir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL))
			_exit(11);
		int fd = open(file, O_WRONLY | O_CREAT, 0600);
		if (fd >= 0 || errno != EROFS)
			_exit(12);
		pid_t init = fork();
		if (init == 0)
			_exit(getpid() == 1 ? 0 : 1);
		int st = 0;
		waitpid(init, &st, 0);
		_exit(WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 13);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : 99;
	rmdir(dir);
	report("mount-ns", code == 0 || code == 13,
	       code == 0 || code == 13 ? "private mount namespace, read-only binds hold (EROFS)"
	       : code == 10	       ? "cannot unshare mount and PID namespaces"
				       : "read-only bind does not hold");
	report("pid-ns", code == 0,
	       code == 0 ? "private PID namespace, the launcher as pid 1"
			 : "no private PID namespace");
}

/* seccomp user notification: the supervisor that decides paths that do not exist yet. */
static void probe_seccomp_notify(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct sock_filter f[] = {
		    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
		struct sock_fprog prog = {.len = 4, .filter = f};
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			_exit(1);
		long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				  SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
		_exit(fd >= 0 ? 0 : 2);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	report("seccomp-notify", ok,
	       ok ? "a listener can be made (the sealed room's supervisor)"
		  : "SECCOMP_FILTER_FLAG_NEW_LISTENER refused");
}

static void probe_landlock(void)
{
	char detail[128];
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0)
		snprintf(detail, sizeof(detail), "unavailable: %s", strerror(errno));
	else
		snprintf(detail, sizeof(detail), "ABI %ld", abi);
	report("landlock", abi > 0, detail);
}

/* Installs a filter in a child, which then proves it is in force. */
static void probe_seccomp(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct sock_filter f[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
		struct sock_fprog prog = {.len = 1, .filter = f};
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
			_exit(1);
		FILE *s = fopen("/proc/self/status", "r");
		char line[128];
		while (s && fgets(line, sizeof(line), s))
			if (strncmp(line, "Seccomp:\t2", 10) == 0)
				_exit(0);
		_exit(2);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	report("seccomp", WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "filter mode works"
						     : "cannot install a filter");
}

static void probe_fanotify(void)
{
	char dir[] = "/tmp/warden-probe-XXXXXX", detail[128];
	int fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY);
	if (fd < 0) {
		snprintf(detail, sizeof(detail), "fanotify_init(FAN_CLASS_CONTENT): %s",
			 strerror(errno));
		report("fanotify-perm", 0, detail);
		return;
	}
	if (!mkdtemp(dir)) {
		report("fanotify-perm", 0, "cannot make a temp dir");
		close(fd);
		return;
	}
	int ok =
	    fanotify_mark(fd, FAN_MARK_ADD, FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM, AT_FDCWD, dir) == 0;
	snprintf(detail, sizeof(detail),
		 ok ? "permission events (open, exec) can be marked" : "mark refused: %s",
		 strerror(errno));
	report("fanotify-perm", ok, detail);
	int fs = fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_OPEN_PERM, AT_FDCWD,
			       dir) == 0;
	report("fanotify-filesystem", fs, fs ? "FAN_MARK_FILESYSTEM works" : strerror(errno));
	close(fd); /* closing the group removes its marks */
	rmdir(dir);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: warden-probe CGROUP2_MOUNT\n");
		return 2;
	}
	libbpf_set_print(silent);
	char cg[512];
	snprintf(cg, sizeof(cg), "%s/warden-probe-%d", argv[1], getpid());
	int cgfd = mkdir(cg, 0755) == 0 ? open(cg, O_RDONLY | O_DIRECTORY) : -1;

	probe_prog("bpf-tracepoint", "probe_tracepoint", -1);
	probe_prog("bpf-tp-btf", "probe_tp_btf", -1);
	probe_prog("bpf-raw-tracepoint", "probe_raw_tp", -1);
	probe_prog("bpf-lsm", "probe_lsm", -1);
	probe_prog("bpf-fentry", "probe_fentry", -1);
	probe_prog("bpf-kprobe", "probe_kprobe", -1);
	if (cgfd >= 0) {
		probe_prog("bpf-cgroup-connect4", "probe_connect4", cgfd);
		probe_prog("bpf-cgroup-sendmsg4", "probe_sendmsg4", cgfd);
		probe_prog_as("bpf-cgroup-connect-unix", "probe_connect_unix", cgfd,
			      49 /* BPF_CGROUP_UNIX_CONNECT, kernel 6.7+ */);
		probe_prog("bpf-cgroup-bind4", "probe_bind4", cgfd);
		probe_prog("bpf-cgroup-skb", "probe_ingress", cgfd);
		close(cgfd);
		rmdir(cg);
	} else {
		report("bpf-cgroup-connect4", 0, "cannot create a probe cgroup");
		report("bpf-cgroup-sendmsg4", 0, "cannot create a probe cgroup");
	}
	probe_namespaces();
	probe_seccomp_notify();
	probe_landlock();
	probe_seccomp();
	probe_fanotify();
	return 0;
}
