// SPDX-License-Identifier: Apache-2.0
/*
 * Files the supervisor writes whole on the agent's behalf: a guarded git config it judged
 * (gitrewrite.c), the agent program's own file (agentfile.c).
 */
#define _GNU_SOURCE
#include "wholefile.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

char *wd_slurp(int fd, size_t max, size_t *len)
{
	struct stat st;
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size > max)
		return NULL;
	char *buf = malloc((size_t)st.st_size + 1);
	ssize_t n = buf ? pread(fd, buf, (size_t)st.st_size + 1, 0) : -1;
	if (n != st.st_size) {
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	*len = (size_t)n;
	return buf;
}

bool wd_write_whole(int fd, const char *buf, size_t len)
{
	if (ftruncate(fd, 0))
		return false;
	for (size_t at = 0; at < len;) {
		ssize_t n = pwrite(fd, buf + at, len - at, (off_t)at);
		if (n <= 0)
			return false;
		at += (size_t)n;
	}
	return true;
}

int wd_make_named(const struct where *to, mode_t mode, const char *buf, size_t len)
{
	int tmp = openat(to->dir, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
	if (tmp < 0)
		return -errno;
	char fdpath[64];
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", tmp);
	if (!wd_write_whole(tmp, buf, len) ||
	    linkat(AT_FDCWD, fdpath, to->dir, to->base, AT_SYMLINK_FOLLOW)) {
		int err = errno ? -errno : -EIO;
		close(tmp);
		return err;
	}
	return tmp;
}
