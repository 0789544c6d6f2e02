/* SPDX-License-Identifier: Apache-2.0 */
/* A protected file the agent program may change itself, its tool processes not (agentfile.c). */
#pragma once
#include "floor.h"
#include "where.h"
#include <stdbool.h>
#include <sys/types.h>

/* The floor's agent file at `path` (a real path), or NULL. */
struct wd_agent_file *wd_agent_file_of(struct wd_floor *f, const char *path);
/* `pid` is the agent program: the session's first process, or one of the agent's own images
 * started by the agent program itself, all the way up. */
bool wd_is_agent(const struct wd_floor *f, pid_t pid);
/* An open of the agent file (named `to`) for the agent: the held file (made now if it was not
 * there) handed to it as the call's result (SECCOMP_IOCTL_NOTIF_ADDFD). 0: answered; else -errno
 * for the supervisor to answer. */
int wd_agent_file_open(struct wd_agent_file *a, const struct where *to, int listener,
		       unsigned long long id, int flags);
/* A rename onto the agent file by the agent: its bytes written into the held file (made now if it
 * was not there), the source removed, as the rename would. */
int wd_agent_file_replace(struct wd_agent_file *a, const struct where *from,
			  const struct where *to);
