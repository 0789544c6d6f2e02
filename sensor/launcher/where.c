// SPDX-License-Identifier: Apache-2.0
/*
 * The agent's view, for the supervisor (supervise.c): a name a call gives, resolved as the agent
 * meant it (its /proc/self, its cwd, a directory descriptor of its own), and the identity the
 * supervisor takes on for a call it does on the agent's behalf.
 */
#define _GNU_SOURCE
#include "where.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

ssize_t wd_read_string(int mem, unsigned long addr, char *out, size_t size)
{
	ssize_t n = pread(mem, out, size - 1, (off_t)addr);
	if (n <= 0)
		return -EFAULT;
	out[n] = 0;
	if (strnlen(out, (size_t)n) == (size_t)n)
		return n == (ssize_t)size - 1 ? -ENAMETOOLONG : -EFAULT;
	return 0;
}

/* The agent's own references (/proc/self, /dev/fd, /dev/stdout) name it, not us. */
static void as_agent(const char *path, pid_t pid, char *out, size_t size)
{
	static const struct {
		const char *prefix, *fmt;
	} self[] = {
	    {"/proc/self", "/proc/%d"},	      {"/proc/thread-self", "/proc/%d/task/%d"},
	    {"/dev/fd", "/proc/%d/fd"},	      {"/dev/stdin", "/proc/%d/fd/0"},
	    {"/dev/stdout", "/proc/%d/fd/1"}, {"/dev/stderr", "/proc/%d/fd/2"},
	};
	for (size_t i = 0; i < sizeof(self) / sizeof(self[0]); i++) {
		size_t n = strlen(self[i].prefix);
		if (!strncmp(path, self[i].prefix, n) && (path[n] == 0 || path[n] == '/')) {
			char head[64];
			snprintf(head, sizeof(head), self[i].fmt, pid, pid);
			snprintf(out, size, "%s%s", head, path + n);
			return;
		}
	}
	snprintf(out, size, "%s", path);
}

/* Resolves everything but the last component of (dirfd, path) the way the agent's call would. */
int wd_locate(pid_t pid, int dirfd, const char *raw, struct where *w)
{
	char path[PATH_MAX], start[64];
	as_agent(raw, pid, path, sizeof(path));
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		path[--len] = 0;
	if (!len)
		return -ENOENT;
	if (path[0] == '/')
		snprintf(start, sizeof(start), "/");
	else if (dirfd == AT_FDCWD)
		snprintf(start, sizeof(start), "/proc/%d/cwd", pid);
	else
		snprintf(start, sizeof(start), "/proc/%d/fd/%d", pid, dirfd);
	char *slash = strrchr(path, '/');
	const char *last = slash ? slash + 1 : path, *parent = ".";
	if (strlen(last) > NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(w->base, last, strlen(last) + 1);
	if (slash == path)
		parent = "/";
	else if (slash) {
		*slash = 0;
		parent = path;
	}
	int from = open(start, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (from < 0)
		return -errno;
	w->dir = openat(from, parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int err = errno;
	close(from);
	if (w->dir < 0)
		return -err;
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", w->dir);
	ssize_t n = readlink(link, w->abs, sizeof(w->abs) - 1);
	if (n <= 0) {
		close(w->dir);
		return -EACCES;
	}
	w->abs[n] = 0;
	size_t at = (size_t)n;
	snprintf(w->abs + at, sizeof(w->abs) - at, "%s%s", at == 1 ? "" : "/", w->base);
	return 0;
}

/* Takes the agent's umask and filesystem ids for one call done on its behalf. */
void wd_take_identity(pid_t pid, mode_t *umask_was)
{
	char file[64], line[256];
	snprintf(file, sizeof(file), "/proc/%d/status", pid);
	FILE *in = fopen(file, "re");
	unsigned r, e, s, fs;
	unsigned mask = 022;
	while (in && fgets(line, sizeof(line), in)) {
		if (sscanf(line, "Umask: %o", &mask) == 1)
			continue;
		if (sscanf(line, "Uid: %u %u %u %u", &r, &e, &s, &fs) == 4)
			setfsuid(fs);
		else if (sscanf(line, "Gid: %u %u %u %u", &r, &e, &s, &fs) == 4)
			setfsgid(fs);
	}
	if (in)
		fclose(in);
	*umask_was = umask((mode_t)mask);
}

void wd_drop_identity(mode_t umask_was)
{
	umask(umask_was);
	setfsuid(getuid());
	setfsgid(getgid());
}
