/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's view, for the supervisor: the names its calls give, and who it is (where.c). */
#pragma once
#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

/* A name as the agent meant it: the directory it goes in (resolved, held open) and its last
 * component. */
struct where {
	int dir;
	char base[NAME_MAX + 1];
	char abs[PATH_MAX];
};

/* A string from the agent's memory (its /proc/PID/mem): 0, -EFAULT or -ENAMETOOLONG. */
ssize_t wd_read_string(int mem, unsigned long addr, char *out, size_t size);
/* Where `raw` (relative to `dirfd`, or the agent's cwd) names: its directory opened, resolved. */
int wd_locate(pid_t pid, int dirfd, const char *raw, struct where *w);
/* The agent's umask and filesystem ids taken for one call done on its behalf, and given back. */
void wd_take_identity(pid_t pid, mode_t *umask_was);
void wd_drop_identity(mode_t umask_was);
