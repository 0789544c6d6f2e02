// SPDX-License-Identifier: Apache-2.0
/*
 * The supervisor's rewrite of a guarded git config (see gitconfig.c for the judgement): what a
 * rename onto one does instead, once the bytes it would bring are judged to run nothing.
 */
#define _GNU_SOURCE
#include "gitrewrite.h"
#include "gitconfig.h"
#include "wholefile.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct wd_git_config *wd_git_config_of(struct wd_floor *f, const char *t)
{
	for (size_t i = 0; i < f->n_git_config; i++)
		if (!strcmp(f->git_configs[i].path, t))
			return &f->git_configs[i];
	return NULL;
}

#define GIT_CONFIG_MAX (256 * 1024)

/*
 * A rename onto a guarded git config (git's `config.lock` onto `config`): the bytes are read
 * once and judged, and those bytes are what lands, never the agent's file (which it could change
 * after the check). Into the file itself when it exists, through the descriptor held for it (from
 * before the read-only binds, or since the supervisor made it), or linked in new, whole before it
 * has a name; then the source is removed, as a rename would. Refused, EACCES, when the change sets
 * something that can run a command.
 */
int wd_git_config_rewrite(struct wd_git_config *g, const struct where *from, const struct where *to)
{
	size_t new_len = 0, old_len = 0;
	int src = openat(from->dir, from->base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	char *after = wd_slurp(src, GIT_CONFIG_MAX, &new_len), *before = NULL, why[400];
	if (src >= 0)
		close(src);
	struct stat st, held;
	bool exists = fstatat(to->dir, to->base, &st, AT_SYMLINK_NOFOLLOW) == 0;
	int dst = -1, err = 0;
	if (exists && S_ISREG(st.st_mode)) {
		/* the file held (bound read-only, or made here), else one the agent may write */
		if (g->fd >= 0 && fstat(g->fd, &held) == 0 && held.st_dev == st.st_dev &&
		    held.st_ino == st.st_ino)
			dst = fcntl(g->fd, F_DUPFD_CLOEXEC, 0);
		else
			dst =
			    openat(to->dir, to->base, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		before = wd_slurp(dst, GIT_CONFIG_MAX, &old_len);
	}
	if (!after || (exists && !before))
		err = -EACCES; /* not a file, too large, or cannot be read or written: refused */
	else if (wd_git_config_change(before ? before : "", old_len, after, new_len, why,
				      sizeof(why)))
		err = -EACCES;
	else if (dst >= 0)
		err = wd_write_whole(dst, after, new_len) ? 0 : -EIO;
	else {
		/* no file there yet: a new one, whole before it has a name, held from now on: its
		 * next change is written through it, as the file gate refuses the supervisor an
		 * open of a guarded path for writing */
		int made = wd_make_named(to, 0644, after, new_len);
		if (made < 0)
			err = made;
		else {
			if (g->fd >= 0)
				close(g->fd);
			g->fd = made;
		}
	}
	if (!err && unlinkat(from->dir, from->base, 0))
		err = -errno;
	if (dst >= 0)
		close(dst);
	free(after);
	free(before);
	return err;
}
