/* SPDX-License-Identifier: Apache-2.0 */
/* The launch floor: restrictions warden-launch applies to itself before exec. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define WD_FLOOR_MAX_RULES 4096

struct wd_floor {
	bool handle_write;   /* Landlock: writes only beneath write_paths */
	bool handle_exec;    /* Landlock: execve only beneath exec_paths */
	bool scope_signal;   /* Landlock: no signals to processes outside the session */
	bool scope_abstract; /* Landlock: no abstract unix sockets outside the session */
	bool seccomp;
	bool drop_caps;
	size_t n_write, n_exec;
	char *write_paths[WD_FLOOR_MAX_RULES];
	char *exec_paths[WD_FLOOR_MAX_RULES];
};

/* Each returns 0, or -1 after printing why on stderr. */
int wd_floor_read(const char *file, struct wd_floor *f);
int wd_floor_apply(const struct wd_floor *f);
