// SPDX-License-Identifier: Apache-2.0
/*
 * exec.deny by content. The file gate refuses a denied program by its paths
 * and inode, and refuses reading it, so it cannot be copied from there; but
 * the same bytes may be elsewhere already (a package cache, another prefix, a
 * download). The relay, in the session's mount namespace with its privileges
 * still whole, marks every mount of that namespace for FAN_OPEN_EXEC_PERM;
 * init (pid 1 of the session, which nothing inside can signal, trace or
 * outlive) answers. It refuses an exec whose file has a denied program's
 * bytes: the same size, then the same bytes, compared through the descriptors
 * (never an open of a marked file). Processes outside the session do not use
 * these mounts: they never wait for it.
 *
 * Running the system's dynamic loader as a program (`ld.so FILE`) maps FILE
 * with a plain open, which no exec check sees, so it is refused while
 * programs are denied; the loader's load as an interpreter is told apart by
 * order: it is the exec event of the same thread right after a program whose
 * PT_INTERP named it.
 *
 * After the exec check the kernel denies writes to the file it runs (ETXTBSY),
 * so the bytes compared are the bytes run.
 */
#define _GNU_SOURCE
#include "content.h"
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_REFS 256
#define CACHE 256
#define PENDING 64
#define PENDING_NS 1000000000ull /* an interpreter's load follows its program's in microseconds */

struct ref {
	int fd;
	dev_t dev;
	ino_t ino;
	off_t size;
};

/* what a file was found to be, until it changes (its ctime moves on any write) */
struct verdict {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec ctime;
	bool denied, loader, used;
	bool interp; /* it names an interpreter that exists, at interp_dev/ino */
	dev_t interp_dev;
	ino_t interp_ino;
};

/* a thread whose exec named an interpreter: its next exec event is that file */
struct pending {
	pid_t tid;
	dev_t dev;
	ino_t ino;
	uint64_t at;
};

static struct ref denied[MAX_REFS], loaders[8];
static size_t n_denied, n_loaders;
static struct verdict cache[CACHE];
static size_t cache_next;
static struct pending pending[PENDING];

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int fail(const char *what, const char *path)
{
	fprintf(stderr, "warden-launch: %s%s%s: %s\n", what, path ? " " : "", path ? path : "",
		strerror(errno));
	return -2;
}

/* An ELF's PT_INTERP into buf (NUL-terminated); false when it has none. */
static bool interp_of(int fd, char *buf, size_t len)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[128];
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) ||
	    eh.e_phnum > 128)
		return false;
	ssize_t want = (ssize_t)(eh.e_phnum * sizeof(Elf64_Phdr));
	if (pread(fd, ph, (size_t)want, (off_t)eh.e_phoff) != want)
		return false;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type != PT_INTERP)
			continue;
		if (ph[i].p_filesz < 2 || ph[i].p_filesz > len)
			return false;
		if (pread(fd, buf, ph[i].p_filesz, (off_t)ph[i].p_offset) !=
		    (ssize_t)ph[i].p_filesz)
			return false;
		buf[ph[i].p_filesz - 1] = 0;
		return true;
	}
	return false;
}

static bool same_bytes(int a, int b, off_t size)
{
	static char x[65536], y[65536];
	for (off_t at = 0; at < size;) {
		size_t want = size - at < (off_t)sizeof(x) ? (size_t)(size - at) : sizeof(x);
		if (pread(a, x, want, at) != (ssize_t)want ||
		    pread(b, y, want, at) != (ssize_t)want)
			return false;
		if (memcmp(x, y, want))
			return false;
		at += (off_t)want;
	}
	return true;
}

/* The file or a copy of it: the same inode, or the same size and bytes. */
static bool among(const struct ref *refs, size_t n, int fd, const struct stat *st)
{
	for (size_t i = 0; i < n; i++)
		if (refs[i].dev == st->st_dev && refs[i].ino == st->st_ino)
			return true;
	for (size_t i = 0; i < n; i++)
		if (refs[i].size == st->st_size && same_bytes(refs[i].fd, fd, st->st_size))
			return true;
	return false;
}

static struct verdict judge(int fd, const struct stat *st)
{
	for (size_t i = 0; i < CACHE; i++) {
		struct verdict *v = &cache[i];
		if (v->used && v->dev == st->st_dev && v->ino == st->st_ino &&
		    v->size == st->st_size && v->ctime.tv_sec == st->st_ctim.tv_sec &&
		    v->ctime.tv_nsec == st->st_ctim.tv_nsec)
			return *v;
	}
	struct verdict v = {.dev = st->st_dev,
			    .ino = st->st_ino,
			    .size = st->st_size,
			    .ctime = st->st_ctim,
			    .denied = among(denied, n_denied, fd, st),
			    .loader = among(loaders, n_loaders, fd, st),
			    .used = true};
	char path[PATH_MAX];
	struct stat ist;
	/* a relative PT_INTERP resolves against the caller's directory: never expected, so refused
	 */
	if (interp_of(fd, path, sizeof(path)) && path[0] == '/' && stat(path, &ist) == 0)
		v.interp = true, v.interp_dev = ist.st_dev, v.interp_ino = ist.st_ino;
	cache[cache_next++ % CACHE] = v;
	return v;
}

static int open_ref(struct ref *r, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*r = (struct ref){.fd = fd, .dev = st.st_dev, .ino = st.st_ino, .size = st.st_size};
	return 0;
}

/* The dynamic loaders a program here may name: the launcher's own, and the usual ones. */
static void find_loaders(void)
{
	static const char *known[] = {"/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1",
				      "/lib/ld-linux.so.2", "/lib/ld-musl-x86_64.so.1"};
	char own[PATH_MAX] = "";
	int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self >= 0) {
		if (!interp_of(self, own, sizeof(own)))
			own[0] = 0;
		close(self);
	}
	const char *paths[5] = {own, known[0], known[1], known[2], known[3]};
	for (size_t i = 0; i < 5 && n_loaders < sizeof(loaders) / sizeof(loaders[0]); i++) {
		struct stat st;
		if (!paths[i][0] || stat(paths[i], &st))
			continue;
		bool seen = false;
		for (size_t j = 0; j < n_loaders; j++)
			seen |= loaders[j].dev == st.st_dev && loaders[j].ino == st.st_ino;
		if (!seen && open_ref(&loaders[n_loaders], paths[i]) == 0)
			n_loaders++;
	}
}

/* A mountinfo field with its octal escapes (\040 for a space) undone, in place. */
static char *unescape(char *s)
{
	char *out = s;
	for (char *in = s; *in; out++) {
		if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] && in[3]) {
			*out = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
			in += 4;
		} else
			*out = *in++;
	}
	*out = 0;
	return s;
}

/* Filesystems the kernel keeps permission events off (FS_DISALLOW_NOTIFY_PERM): nothing runs from
 * them. */
static bool pseudo(const char *fstype)
{
	static const char *types[] = {"proc",	  "sysfs",    "cgroup",	 "cgroup2",
				      "bpf",	  "debugfs",  "tracefs", "securityfs",
				      "configfs", "efivarfs", "pstore"};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(fstype, types[i]))
			return true;
	return false;
}

static int mark_mounts(int group)
{
	FILE *in = fopen("/proc/self/mountinfo", "re");
	if (!in)
		return fail("cannot list the session's mounts", NULL);
	char *line = NULL;
	size_t cap = 0;
	int err = 0;
	while (!err && getline(&line, &cap, in) > 0) {
		/* id parent major:minor root MOUNT-POINT options [optional...] - FSTYPE ... */
		char *sep = strstr(line, " - ");
		char *save, *field = strtok_r(line, " ", &save);
		for (int i = 0; field && i < 4; i++)
			field = strtok_r(NULL, " ", &save);
		if (!field || !sep)
			continue;
		char fstype[64] = "";
		sscanf(sep + 3, "%63s", fstype);
		const char *point = unescape(field);
		if (fanotify_mark(group, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_OPEN_EXEC_PERM,
				  AT_FDCWD, point) &&
		    errno != ENOENT && /* under another mount since: out of reach */
		    !(errno == EINVAL && pseudo(fstype)))
			err = fail("cannot watch runs on the mount", point);
	}
	free(line);
	fclose(in);
	return err;
}

int wd_content_open(const struct wd_floor *f)
{
	if (!f->n_exec_content)
		return -1;
	for (size_t i = 0; i < f->n_exec_content && n_denied < MAX_REFS; i++)
		if (open_ref(&denied[n_denied], f->exec_content[i]) == 0)
			n_denied++;
		else if (errno != ENOENT)
			return fail("cannot read the denied program", f->exec_content[i]);
	find_loaders();
	int group = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_TID |
				      FAN_UNLIMITED_QUEUE,
				  O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	return group < 0 ? fail("cannot watch the session's runs (fanotify)", NULL) : group;
}

int wd_content_watch(int group)
{
	return group < 0 ? 0 : mark_mounts(group) ? -1 : 0;
}

static struct pending *pending_of(pid_t tid)
{
	for (size_t i = 0; i < PENDING; i++)
		if (pending[i].tid == tid)
			return &pending[i];
	return NULL;
}

/* After an allowed exec: the interpreter its file names, expected next from the same thread. */
static void expect_interpreter(pid_t tid, const struct verdict *v)
{
	if (!v->interp)
		return;
	uint64_t t = now_ns();
	struct pending *slot = &pending[0];
	for (size_t i = 0; i < PENDING; i++) {
		if (pending[i].tid == 0 || t - pending[i].at > PENDING_NS) {
			slot = &pending[i];
			break;
		}
		if (pending[i].at < slot->at)
			slot = &pending[i];
	}
	*slot = (struct pending){.tid = tid, .dev = v->interp_dev, .ino = v->interp_ino, .at = t};
}

static bool decide(const struct fanotify_event_metadata *m)
{
	struct stat st;
	if (fstat(m->fd, &st))
		return false; /* cannot say what it is: refused */
	struct pending *p = pending_of(m->pid), expected = p ? *p : (struct pending){0};
	if (p)
		p->tid = 0; /* one exec event answers it, whatever that was */
	if (!S_ISREG(st.st_mode))
		return true;
	struct verdict v = judge(m->fd, &st);
	if (v.denied)
		return false;
	if (v.loader && !(expected.tid && expected.dev == st.st_dev && expected.ino == st.st_ino &&
			  now_ns() - expected.at <= PENDING_NS))
		return false; /* the loader run as a program */
	expect_interpreter(m->pid, &v);
	return true;
}

int wd_content_answer(int group)
{
	static char buf[64 * sizeof(struct fanotify_event_metadata)]
	    __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	for (;;) {
		ssize_t len = read(group, buf, sizeof(buf));
		if (len < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		const struct fanotify_event_metadata *m = (void *)buf;
		for (; FAN_EVENT_OK(m, len); m = FAN_EVENT_NEXT(m, len)) {
			if (m->vers != FANOTIFY_METADATA_VERSION || m->fd < 0)
				continue;
			struct fanotify_response r = {
			    .fd = m->fd,
			    .response = (m->mask & FAN_OPEN_EXEC_PERM) && !decide(m) ? FAN_DENY
										     : FAN_ALLOW};
			if (write(group, &r, sizeof(r)) < 0)
				fprintf(stderr, "warden-launch: exec check: answer: %s\n",
					strerror(errno));
			close(m->fd);
		}
	}
}
