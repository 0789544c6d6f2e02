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
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
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

/* Loads only @name; attaches it (to @cgroup_fd for cgroup programs). */
static void probe_prog(const char *probe, const char *name, int cgroup_fd)
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
		close(cgfd);
		rmdir(cg);
	} else {
		report("bpf-cgroup-connect4", 0, "cannot create a probe cgroup");
		report("bpf-cgroup-sendmsg4", 0, "cannot create a probe cgroup");
	}
	probe_landlock();
	probe_seccomp();
	probe_fanotify();
	return 0;
}
